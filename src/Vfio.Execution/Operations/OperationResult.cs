using System.Collections.Immutable;
using Vfio.Host.Model;

namespace Vfio.Execution.Operations;

/// <summary>
/// What an operation did: the host as read, the plan (with its refusals), and the outcome of
/// carrying it out: null for a dry run and for a plan that was refused.
/// </summary>
/// <param name="Host">The host model the plan was made from.</param>
/// <param name="Plan">The plan, refusals included.</param>
/// <param name="Outcome">What applying it did; null when it was not applied.</param>
/// <param name="Warnings">Things the user should know that did not stop the operation (e.g. an unreadable modules.alias).</param>
public sealed record OperationResult<TPlan, TOutcome>(HostState Host, TPlan Plan, TOutcome? Outcome, ImmutableArray<string> Warnings)
    where TPlan : class
    where TOutcome : class;

/// <summary>A named device (or journal entry) that does not exist: nothing was changed.</summary>
public sealed class NotFoundException(string message) : Exception(message)
{
    /// <summary>No device at <paramref name="address"/> on <paramref name="host"/> (its root named when not /).</summary>
    public static NotFoundException NoSuchDevice(HostState host, PciAddress address) =>
        new($"No PCI device {address} on this host" + (host.Root == "/" ? "" : $" (root {host.Root})") + ": see 'vfioctl list' for the devices there are.");
}

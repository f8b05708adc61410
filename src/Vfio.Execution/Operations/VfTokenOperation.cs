using Vfio.Execution.Sriov;
using Vfio.Execution.State;
using Vfio.Host.Reading;

namespace Vfio.Execution.Operations;

/// <summary>What a token operation did, and the token stored for the PF afterwards (never printed unless asked).</summary>
public sealed record VfTokenOutcome(PciAddress Pf, TokenResult Result, StoredVfToken? Stored);

/// <summary>A PF's VF token: set (stored, and set in the kernel when the PF is on vfio-pci), cleared, or its status.</summary>
public static class VfTokenOperation
{
    /// <summary>Stores <paramref name="token"/> and sets it in the kernel when the PF is on a vfio driver.</summary>
    public static VfTokenOutcome Set(PciAddress pf, VfToken token, OperationServices services) =>
        Run(pf, services, executor => executor.SetToken(pf, token));

    /// <summary>Forgets the stored token (the kernel keeps its own until vfio-pci lets the PF go).</summary>
    public static VfTokenOutcome Clear(PciAddress pf, OperationServices services) =>
        Run(pf, services, executor => executor.LoadTokens().Remove(pf)
            ? new TokenResult(false, null, $"the stored token of {pf} is forgotten; the kernel keeps the one it has until vfio-pci lets the PF go.")
            : new TokenResult(false, null, $"no token was stored for {pf}."));

    /// <summary>Whether a token is stored, and since when.</summary>
    public static VfTokenOutcome Status(PciAddress pf, OperationServices services) =>
        Run(pf, services, executor => executor.LoadTokens().Find(pf) is { } stored
            ? new TokenResult(true, null, $"a token is stored for {pf} (set {stored.SetUtc:u}).")
            : new TokenResult(false, null, $"no token is stored for {pf}."));

    /// <summary>
    /// Under the state lock: checks that the device is an SR-IOV PF (a VF has no token of its own;
    /// <see cref="NotFoundException"/> otherwise), then does <paramref name="action"/>.
    /// </summary>
    private static VfTokenOutcome Run(PciAddress pf, OperationServices services, Func<SriovExecutor, TokenResult> action)
    {
        using var held = services.State.Lock();
        var host = HostReader.Read(services.Kernel.Files, new HostReadOptions { Holders = false, GroupDetails = false });
        var d = HostReads.RequireDevice(host, pf);
        if (d.PhysFn is { } physfn)
            throw new NotFoundException($"{pf} is a VF (of {physfn}): a VF has no token of its own; it is opened with its PF's ('vfioctl sriov token {physfn}').");
        if (d.Sriov is null)
            throw new NotFoundException($"{pf} is neither an SR-IOV PF nor a VF: the kernel takes no VF token for it (a vf_token option is EINVAL). 'vfioctl sriov list' shows the PFs.");
        var executor = new SriovExecutor(services.Kernel, services.Options) { TokenApplier = services.TokenApplier };
        var result = action(executor);
        return new VfTokenOutcome(pf, result, executor.LoadTokens().Find(pf));
    }
}

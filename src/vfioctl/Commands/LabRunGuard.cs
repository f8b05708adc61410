using System.Runtime.InteropServices;
using Vfio.Lab;

namespace Vfioctl.Commands;

/// <summary>How the lab commands run: a lab failure reported with its next step, and cancellation on SIGINT/SIGTERM.</summary>
internal static class LabRunGuard
{
    /// <summary>Prints a lab failure, its next step and the guest console's last lines.</summary>
    public static int Report(TextWriter error, LabException e)
    {
        error.WriteLine($"vfioctl: lab: {e.Message}");
        if (e.Hint is not null) error.WriteLine($"vfioctl: next: {e.Hint}");
        if (e.ConsoleTail.Count > 0)
        {
            error.WriteLine($"vfioctl: last {e.ConsoleTail.Count} line{(e.ConsoleTail.Count == 1 ? "" : "s")} of the guest console (and QEMU's errors):");
            foreach (var line in e.ConsoleTail) error.WriteLine($"  | {line}");
        }
        return ExitCodes.Failed;
    }

    /// <summary>Runs <paramref name="body"/> with SIGINT, SIGTERM and SIGHUP turned into cancellation, and lab failures into exit 1.</summary>
    public static int WithCancellation(TextWriter error, Func<CancellationToken, int> body)
    {
        using var cts = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            cts.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
        try
        {
            return body(cts.Token);
        }
        catch (LabException e)
        {
            return Report(error, e);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            error.WriteLine("vfioctl: lab: interrupted");
            return ExitCodes.Failed;
        }
    }
}

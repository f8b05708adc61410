using System.CommandLine;
using Vfio;
using Vfio.Execution.Operations;
using Vfio.Userspace;
using Vfioctl.Commands.Options;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl reset ADDRESS [--method flr|pm|bus|hot]</c>: reset a device on a vfio driver, through VFIO.</summary>
internal static class ResetCommand
{
    private static readonly Argument<string> Address = new("address") { Description = "The device, on a vfio driver (vfioctl bind ADDRESS)" };
    private static readonly Option<string?> Method = new("--method")
    {
        Description = "flr, pm or bus (that method only, through VFIO_DEVICE_RESET), or hot (VFIO_DEVICE_PCI_HOT_RESET of its bus or slot); default: the kernel's order",
    };

    public static Command Create() => CommandActions.Define("reset",
        "Reset a device on a vfio driver through VFIO: the kernel's choice, one method (flr, pm, bus), or a hot reset of its bus refused unless this process owns everything on it",
        Run, Address, Method);

    private static int Run(ParseResult parse, Terminal term)
    {
        var text = parse.GetValue(Address)!;
        if (!PciAddress.TryParse(text, out var address))
            throw new UsageException($"device '{text}' is not a PCI address; expected {PciAddress.ExpectedForm}.");
        var method = parse.GetValue(Method) switch
        {
            null => ResetMethod.Default,
            "flr" => ResetMethod.Flr,
            "pm" => ResetMethod.Pm,
            "bus" => ResetMethod.Bus,
            "hot" => ResetMethod.Hot,
            var other => throw new UsageException($"--method '{other}': expected flr, pm, bus or hot."),
        };
        var root = parse.GetValue(GlobalOptions.Root)!;
        if (Path.GetFullPath(root) != "/")
            throw new UsageException("'vfioctl reset' acts on the live host's devices through VFIO: it takes no --root.");
        RootChecks.RequireRootForLiveHost(root, "reset");
        bool json = parse.GetValue(GlobalOptions.Json);

        string? done = null, error = null, hint = null;
        int code;
        try
        {
            done = VfioDeviceResetter.Reset(address, method);
            code = ExitCodes.Success;
        }
        catch (ResetRefusedException e)
        {
            (error, hint, code) = (e.Message, e.Hint, ExitCodes.Refused);
        }
        catch (VfioException e) when (e.Kind == VfioErrorKind.NotOwned)
        {
            (error, hint, code) = (e.Detail, e.Hint, ExitCodes.Refused);
        }
        catch (VfioException e)
        {
            (error, hint, code) = (e.Message, null, ExitCodes.Failed);
        }
        if (json)
        {
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("device", address.ToString());
                w.WriteString("method", method.ToString().ToLowerInvariant());
                w.WriteBoolean("reset", code == ExitCodes.Success);
                w.StringOrNull("message", done);
                w.StringOrNull("error", error);
                w.StringOrNull("hint", hint);
                w.WriteEndObject();
            });
        }
        else if (done is not null)
        {
            term.Out.WriteLine(done);
        }
        else
        {
            term.Error.WriteLine($"vfioctl: {(code == ExitCodes.Refused ? "refused: " : "")}{error}");
            if (hint is not null) term.Error.WriteLine($"  next: {hint}");
        }
        return code;
    }
}

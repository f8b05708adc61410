using System.Diagnostics;
using System.Text;

namespace Vfio.Lab;

/// <summary>
/// One QEMU process: started with an argument list, its console fed to a
/// <see cref="GuestConsole"/> by reader threads, killed on dispose. QEMU is
/// started through <c>setpriv --pdeathsig SIGKILL</c> so that it dies with
/// the thread that started it even if vfioctl itself is killed with SIGKILL
/// (the starting thread blocks until QEMU is gone, see <see cref="LabRunner"/>).
/// </summary>
internal sealed class QemuMachine : IDisposable
{
    private readonly Process _process;
    private readonly Thread _stdoutReader;
    private readonly Thread? _stderrReader;

    private QemuMachine(Process process, GuestConsole console)
    {
        _process = process;
        _stdoutReader = new Thread(() => ReadStdout(process.StandardOutput.BaseStream, console))
        {
            IsBackground = true,
            Name = "qemu-stdout",
        };
        _stdoutReader.Start();
        _stderrReader = new Thread(() => ReadStderr(process.StandardError, console))
        {
            IsBackground = true,
            Name = "qemu-stderr",
        };
        _stderrReader.Start();
    }

    /// <summary>The command line (for diagnostics).</summary>
    public string CommandLine { get; private init; } = "";

    /// <summary>
    /// Starts QEMU. With <paramref name="inheritStdin"/> QEMU reads the user's
    /// terminal (an interactive shell in the guest); otherwise its stdin is an
    /// idle pipe, so the host terminal is never put in raw mode.
    /// </summary>
    public static QemuMachine Start(string qemu, IReadOnlyList<string> arguments, GuestConsole console, bool inheritStdin)
    {
        var setpriv = HostProcess.Find("setpriv");
        var (file, args) = setpriv is null
            ? (qemu, arguments)
            : (setpriv, (IReadOnlyList<string>)["--pdeathsig", "SIGKILL", "--", qemu, .. arguments]);
        var psi = HostProcess.NewStartInfo(file, args, workingDirectory: "/", environment: null);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = !inheritStdin;
        var process = HostProcess.StartOrThrow(psi);
        return new QemuMachine(process, console)
        {
            CommandLine = string.Join(' ', new[] { qemu }.Concat(arguments).Select(a => a.Contains(' ') ? ShellQuote.Quote(a) : a)),
        };
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits for QEMU to exit and its output to be read; false on timeout.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _stdoutReader.Join(TimeSpan.FromSeconds(5));
        _stderrReader?.Join(TimeSpan.FromSeconds(5));
        return true;
    }

    /// <summary>Kills QEMU (SIGKILL) if it is still running and waits for it.</summary>
    public void Kill()
    {
        HostProcess.TryKill(_process);
        WaitForExit(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        Kill();
        if (_process.StartInfo.RedirectStandardInput)
        {
            try { _process.StandardInput.Dispose(); } catch (IOException) { }
        }
        _process.Dispose();
    }

    /// <summary>QEMU's -device/-drive option values separate keys with commas; a literal comma is doubled.</summary>
    public static string EscapeOptionValue(string value) => value.Replace(",", ",,", StringComparison.Ordinal);

    private static void ReadStdout(Stream stream, GuestConsole console)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[8192];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        try
        {
            int n;
            while ((n = stream.Read(bytes, 0, bytes.Length)) > 0)
            {
                int c = decoder.GetChars(bytes, 0, n, chars, 0, flush: false);
                console.Feed(chars.AsSpan(0, c));
            }
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        console.Complete();
    }

    private static void ReadStderr(StreamReader reader, GuestConsole console)
    {
        try
        {
            string? line;
            while ((line = reader.ReadLine()) is not null) console.FeedQemuError(line);
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }
}

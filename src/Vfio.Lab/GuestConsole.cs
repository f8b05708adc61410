using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Vfio.Lab;

/// <summary>
/// Reads the guest's serial console as QEMU prints it: keeps the last lines for
/// diagnostics, recognises the guest's fatal errors, and passes the command's
/// output (everything between the run's begin and end markers, which carry a
/// random nonce so output cannot fake them) to the host's output, live, minus
/// carriage returns and kernel log lines. The end marker carries the exit status.
/// Fed from QEMU's stdout and stderr reader threads.
/// </summary>
internal sealed partial class GuestConsole
{
    private const string GuestPrefix = "vfioctl-lab: ";
    private const string FatalPrefix = "vfioctl-lab: FATAL: ";

    private readonly object _lock = new();
    private readonly string _begin;
    private readonly string _endPrefix;
    private readonly TextWriter _output;
    private readonly int _tailLines;
    private readonly Queue<string> _tail = new();
    private readonly StringBuilder _line = new();
    private readonly StringBuilder _writtenPart = new(); // the part of the current line already written (for the tail)
    private readonly Stopwatch _clock;
    private bool _lineStarted; // part of the current line was already written to the output
    private GuestPhase _phase = GuestPhase.Boot;

    public GuestConsole(string beginMarker, string endMarkerPrefix, TextWriter output, Stopwatch clock, int tailLines = 40)
    {
        _begin = beginMarker;
        _endPrefix = endMarkerPrefix;
        _output = output;
        _clock = clock;
        _tailLines = tailLines;
    }

    /// <summary>After the end marker, copy the console to the output unchanged (the interactive shell of --keep-going).</summary>
    public bool PassThroughAfterEnd { get; init; }

    public GuestPhase Phase { get { lock (_lock) return _phase; } }

    /// <summary>The command's exit status, once the end marker was seen.</summary>
    public int? ExitStatus { get; private set; }

    /// <summary>The guest's fatal setup error, if it reported one.</summary>
    public string? Fatal { get; private set; }

    /// <summary>The guest's own uptime when it was ready to run the command, as it reported it.</summary>
    public string? GuestReadyUptime { get; private set; }

    /// <summary>Time (on the run's clock) the begin marker was seen.</summary>
    public TimeSpan? BeganAt { get; private set; }

    /// <summary>Time (on the run's clock) the end marker was seen.</summary>
    public TimeSpan? EndedAt { get; private set; }

    /// <summary>The last lines of the console and of QEMU's stderr.</summary>
    public IReadOnlyList<string> Tail()
    {
        lock (_lock)
        {
            var partial = _writtenPart.ToString() + _line;
            return partial.Length == 0 ? [.. _tail] : [.. _tail, Escapes().Replace(partial, "")];
        }
    }

    /// <summary>Feeds a chunk of QEMU's stdout.</summary>
    public void Feed(ReadOnlySpan<char> chunk)
    {
        lock (_lock)
        {
            if (_phase == GuestPhase.Finished && PassThroughAfterEnd)
            {
                Write(chunk.ToString());
                return;
            }
            foreach (var c in chunk)
            {
                if (c == '\n')
                {
                    var line = _line.ToString().TrimEnd('\r');
                    _line.Clear();
                    OnLine(line);
                    _lineStarted = false;
                    _writtenPart.Clear();
                }
                else
                {
                    _line.Append(c);
                }
            }
            // Stream partial lines of the command's output (progress, prompts) unless
            // they could be the start of the end marker.
            if (_phase == GuestPhase.Command && _line.Length > 0 && _line.ToString().IndexOf('@') < 0)
            {
                Write(_line.ToString().Replace("\r", "", StringComparison.Ordinal));
                _writtenPart.Append(_line);
                _line.Clear();
                _lineStarted = true;
            }
            if (_phase == GuestPhase.Finished && PassThroughAfterEnd && _line.Length > 0)
            {
                Write(_line.ToString());
                _line.Clear();
            }
        }
    }

    /// <summary>Feeds one line of QEMU's stderr (kept for diagnostics only).</summary>
    public void FeedQemuError(string line)
    {
        lock (_lock) AddTail("qemu: " + line);
    }

    /// <summary>QEMU's stdout ended.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_line.Length > 0)
            {
                var line = _line.ToString().TrimEnd('\r');
                _line.Clear();
                OnLine(line);
            }
        }
    }

    private void OnLine(string line)
    {
        switch (_phase)
        {
            case GuestPhase.Boot:
                AddTail(line);
                if (line.Contains(_begin, StringComparison.Ordinal))
                {
                    _phase = GuestPhase.Command;
                    BeganAt = _clock.Elapsed;
                }
                else if (line.StartsWith(FatalPrefix, StringComparison.Ordinal))
                {
                    Fatal ??= line[FatalPrefix.Length..];
                }
                else if (line.StartsWith(GuestPrefix + "ready at ", StringComparison.Ordinal))
                {
                    GuestReadyUptime = line[(GuestPrefix.Length + "ready at ".Length)..];
                }
                break;

            case GuestPhase.Command:
                int end = line.IndexOf(_endPrefix, StringComparison.Ordinal);
                if (end >= 0)
                {
                    if (end > 0) Write(line[..end]);
                    if (end > 0 || _writtenPart.Length > 0) AddTail(_writtenPart + line[..end]);
                    var rest = line[(end + _endPrefix.Length)..];
                    int at = rest.IndexOf("@@", StringComparison.Ordinal);
                    ExitStatus = int.TryParse(at >= 0 ? rest[..at] : rest, out var status) ? status : 255;
                    EndedAt = _clock.Elapsed;
                    _phase = GuestPhase.Finished;
                    break;
                }
                AddTail(_writtenPart + line);
                if (!_lineStarted && KernelLogLine().IsMatch(line)) break;
                Write(line + "\n");
                break;

            case GuestPhase.Finished:
                AddTail(line);
                if (PassThroughAfterEnd) Write(line + "\n");
                break;
        }
    }

    private void Write(string text)
    {
        if (text.Length == 0) return;
        _output.Write(text);
        _output.Flush();
    }

    private void AddTail(string line)
    {
        _tail.Enqueue(Escapes().Replace(line, ""));
        while (_tail.Count > _tailLines) _tail.Dequeue();
    }

    /// <summary>A printk line on the console: <c>[   12.345678] ...</c>.</summary>
    [GeneratedRegex(@"^\[\s*\d+\.\d+\]\s")]
    private static partial Regex KernelLogLine();

    /// <summary>Terminal escape sequences (the firmware clears the screen).</summary>
    [GeneratedRegex(@"\x1b(\[[0-9;?]*[A-Za-z]|c)")]
    private static partial Regex Escapes();
}

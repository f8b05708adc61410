namespace Vfio.Lab;

/// <summary>A lab failure: what happened, plus the next step for the user.</summary>
public sealed class LabException : Exception
{
    public LabException(LabErrorKind kind, string message, string? hint = null, IReadOnlyList<string>? consoleTail = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Hint = hint;
        ConsoleTail = consoleTail ?? [];
    }

    /// <summary>The kind of failure.</summary>
    public LabErrorKind Kind { get; }

    /// <summary>What to do next (a command to run, a setting to change), if known.</summary>
    public string? Hint { get; }

    /// <summary>The last lines of the guest's console (and QEMU's stderr) when the failure happened in the guest.</summary>
    public IReadOnlyList<string> ConsoleTail { get; }
}

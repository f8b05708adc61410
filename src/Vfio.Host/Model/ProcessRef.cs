namespace Vfio.Host.Model;

/// <summary>A process that holds a file open (found through <c>/proc/PID/fd</c>).</summary>
public readonly record struct ProcessRef(int Pid, string? Command)
{
    public override string ToString() => Command is null ? $"pid {Pid}" : $"pid {Pid} ({Command})";
}

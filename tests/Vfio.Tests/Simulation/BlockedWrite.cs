namespace Vfio.Tests.Simulation;

/// <summary>
/// A write the simulated kernel cannot finish yet (it waits for a device lock or for a process
/// to close a device): finished later by <see cref="Complete"/>, whether or not its writer is
/// still waiting, as a real blocked write(2) would be.
/// </summary>
internal sealed class BlockedWrite(Func<Errno> operation)
{
    private readonly ManualResetEventSlim _done = new(false);

    /// <summary>The errno the write returned (0 for success); valid once done.</summary>
    public Errno Errno { get; private set; }

    public bool IsDone => _done.IsSet;

    /// <summary>Runs the operation (under the kernel's lock) and wakes the writer.</summary>
    public void Complete()
    {
        if (_done.IsSet) return;
        Errno = operation();
        _done.Set();
    }

    public bool Wait(TimeSpan timeout) => _done.Wait(timeout);
}

namespace Vfio.Execution.State;

/// <summary>
/// Serialises vfioctl processes that change bindings: an exclusive lock on <c>STATE/lock</c>
/// (flock through FileShare.None), waited for up to a bound, released on dispose or process death.
/// </summary>
public sealed class StateLock : IDisposable
{
    private readonly FileStream _stream;

    private StateLock(FileStream stream) => _stream = stream;

    public static StateLock Acquire(string directory, TimeSpan wait)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "lock");
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                var fs = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return new StateLock(fs);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            catch (IOException e)
            {
                throw new IOException($"Another vfioctl is changing bindings (lock {path} held for {wait.TotalSeconds:0} s); try again when it has finished.", e);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}

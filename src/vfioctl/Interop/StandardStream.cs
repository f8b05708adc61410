using System.Runtime.InteropServices;
using Vfio;
using Vfio.Interop;

namespace Vfioctl.Interop;

/// <summary>
/// Standard output or error as a write-only stream that calls write(2) on the inherited
/// descriptor, the one place vfioctl touches descriptors 1 and 2 (it neither opens nor closes
/// them). Not System.Console: its first use costs about 0.17 s of every command under emulation,
/// a quarter of a bind's work (bench/README.md). Not a FileStream: that writes at offsets of its
/// own, so <c>&gt; log 2&gt;&amp;1</c> would have output and errors overwrite each other; write(2)
/// uses the offset the two share. A reader that went away (EPIPE, e.g. <c>| head</c>) makes
/// further output vanish, as with the console streams; other errors are thrown.
/// </summary>
internal sealed class StandardStream : Stream
{
    private readonly int _fd;
    private bool _readerGone;

    /// <param name="fd">1 or 2; tests pass the write end of a pipe.</param>
    internal StandardStream(int fd) => _fd = fd;

    public static StandardStream Output { get; } = new(1);
    public static StandardStream Error { get; } = new(2);

    /// <summary>Whether the descriptor is a terminal.</summary>
    public bool IsTerminal => Libc.IsATty(_fd) == 1;

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length && !_readerGone)
            {
                nint n = Libc.Write(_fd, start + done, (nuint)(buffer.Length - done));
                if (n >= 0) { done += (int)n; continue; }
                var errno = ErrnoInfo.FromLastPInvokeError();
                if (errno is Errno.EINTR or Errno.EAGAIN) continue;
                if (errno == Errno.EPIPE) { _readerGone = true; break; }
                throw new IOException($"writing to {(_fd == 2 ? "standard error" : "standard output")} failed: {Marshal.GetPInvokeErrorMessage((int)errno)} (errno {(int)errno})", (int)errno);
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void WriteByte(byte value) => Write([value]);
    public override void Flush() { }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

namespace Vfio.Userspace;

/// <summary>Configuration space over bytes (a captured sysfs <c>config</c> file).</summary>
internal sealed class ArrayConfigAccess(byte[] bytes) : IConfigAccess
{
    public int Length => bytes.Length;

    public void Read(int offset, Span<byte> destination) => bytes.AsSpan(offset, destination.Length).CopyTo(destination);

    public void Write(int offset, ReadOnlySpan<byte> source) => source.CopyTo(bytes.AsSpan(offset, source.Length));
}

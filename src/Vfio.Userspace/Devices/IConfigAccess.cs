namespace Vfio.Userspace;

/// <summary>Where configuration space bytes come from: a device's config region or an array.</summary>
internal interface IConfigAccess
{
    int Length { get; }

    void Read(int offset, Span<byte> destination);

    void Write(int offset, ReadOnlySpan<byte> source);
}

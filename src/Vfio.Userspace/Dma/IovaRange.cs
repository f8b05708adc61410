using System.Globalization;

namespace Vfio.Userspace;

/// <summary>An inclusive range of I/O virtual addresses [<paramref name="Start"/>, <paramref name="End"/>], as the kernel reports them.</summary>
public readonly record struct IovaRange(ulong Start, ulong End)
{
    /// <summary>Bytes in the range (saturates at ulong.MaxValue for the full 64-bit space).</summary>
    public ulong Length => End - Start == ulong.MaxValue ? ulong.MaxValue : End - Start + 1;

    /// <summary>Whether the range holds [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>).</summary>
    public bool Contains(ulong start, ulong length) =>
        length != 0 && start >= Start && start <= End && length - 1 <= End - start;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"0x{Start:x}-0x{End:x}");
}

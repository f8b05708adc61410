using System.Globalization;

namespace Vfio;

/// <summary>The 24-bit PCI class code: base class, subclass and programming interface.</summary>
public readonly record struct PciClass(uint Value)
{
    public byte BaseClass => (byte)(Value >> 16);
    public byte SubClass => (byte)(Value >> 8);
    public byte ProgIf => (byte)Value;

    /// <summary>Six lower-case hex digits, as in the JSON schema (<c>010601</c>).</summary>
    public override string ToString() => Value.ToString("x6", CultureInfo.InvariantCulture);

    public bool IsBridge => BaseClass == 0x06;
    public bool IsHostBridge => BaseClass == 0x06 && SubClass == 0x00;
    public bool IsIsaBridge => BaseClass == 0x06 && SubClass == 0x01;
    public bool IsPciBridge => BaseClass == 0x06 && SubClass == 0x04;
    public bool IsDisplay => BaseClass == 0x03;
    public bool IsVga => BaseClass == 0x03 && SubClass == 0x00;
}

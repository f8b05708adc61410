using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Vfio;

/// <summary>
/// The VF token: a UUID shared between the userspace driver of an SR-IOV PF on vfio-pci and the
/// userspace drivers of its VFs (kernel-facts section 4). The kernel's form is the 36-character
/// string <c>xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx</c> (<c>uuid_is_valid</c>: hyphens at 8, 13, 18
/// and 23, hex digits elsewhere, either case) in the <c>vf_token=</c> open option, and 16 bytes in
/// RFC 4122 order (the string's hex digits left to right) in <c>VFIO_DEVICE_FEATURE_PCI_VF_TOKEN</c>.
/// </summary>
/// <remarks>
/// The token is a secret: <see cref="ToString"/> never shows it, so it cannot leak into a log
/// line or an exception message by accident. <see cref="Reveal"/> is the one way to the text.
/// </remarks>
public readonly struct VfToken : IEquatable<VfToken>
{
    /// <summary>The length of the kernel's UUID string (UUID_STRING_LEN).</summary>
    public const int StringLength = 36;

    /// <summary>The form <see cref="TryParse"/> accepts, for error messages.</summary>
    public const string ExpectedForm = "a UUID of 36 characters, xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx with hex digits for x";

    private readonly Guid _value;

    private VfToken(Guid value) => _value = value;

    /// <summary>A new random (version 4, RFC 4122 variant) token from the system's cryptographic generator.</summary>
    public static VfToken Generate()
    {
        Span<byte> b = stackalloc byte[16];
        RandomNumberGenerator.Fill(b);
        b[6] = (byte)((b[6] & 0x0f) | 0x40); // version 4
        b[8] = (byte)((b[8] & 0x3f) | 0x80); // variant 10xx
        return FromRfc4122Bytes(b);
    }

    /// <summary>
    /// Parses the kernel's form exactly as <c>uuid_parse</c> accepts it; anything else (braces,
    /// no hyphens, surrounding blanks, 35 or 37 characters) is rejected, as the kernel would reject it.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out VfToken token)
    {
        token = default;
        if (text is null || text.Length != StringLength) return false;
        for (int i = 0; i < StringLength; i++)
        {
            bool hyphen = i is 8 or 13 or 18 or 23;
            if (hyphen ? text[i] != '-' : !char.IsAsciiHexDigit(text[i])) return false;
        }
        token = new VfToken(Guid.ParseExact(text, "D"));
        return true;
    }

    /// <summary>Parses or throws <see cref="FormatException"/> naming the expected form (never echoing the input, which may be a near-miss secret).</summary>
    public static VfToken Parse(string text) =>
        TryParse(text, out var t) ? t : throw new FormatException($"not a VF token: expected {ExpectedForm}.");

    /// <summary>The token from its 16 bytes in RFC 4122 order (the order the kernel's <c>uuid_t</c> keeps).</summary>
    public static VfToken FromRfc4122Bytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != 16) throw new ArgumentException("a VF token is 16 bytes", nameof(bytes));
        return new VfToken(new Guid(bytes, bigEndian: true));
    }

    /// <summary>The 16 bytes for <c>VFIO_DEVICE_FEATURE_PCI_VF_TOKEN</c>, in RFC 4122 order.</summary>
    public byte[] ToRfc4122Bytes()
    {
        var b = new byte[16];
        _value.TryWriteBytes(b, bigEndian: true, out _);
        return b;
    }

    /// <summary>
    /// The token as a <see cref="Guid"/> whose string form is the token's string. A Guid's default
    /// byte layout (<see cref="Guid.ToByteArray()"/>) is not RFC 4122 order: write it with
    /// <c>TryWriteBytes(span, bigEndian: true, out _)</c> when handing it to the kernel.
    /// </summary>
    public Guid ToGuid() => _value;

    /// <summary>The token from a Guid (see <see cref="ToGuid"/> for the byte order).</summary>
    public static VfToken FromGuid(Guid value) => new(value);

    /// <summary>The secret in the kernel's form: 36 lower-case characters. Use only where the token must go.</summary>
    public string Reveal() => _value.ToString("D");

    /// <summary>The <c>vf_token=</c> option appended to a device name in <c>VFIO_GROUP_GET_DEVICE_FD</c>.</summary>
    public string ToOpenOption() => "vf_token=" + Reveal();

    /// <summary>Never the secret: a fixed placeholder, so tokens do not leak into logs.</summary>
    public override string ToString() => "(VF token hidden)";

    public bool Equals(VfToken other) => _value.Equals(other._value);
    public override bool Equals(object? obj) => obj is VfToken t && Equals(t);
    public override int GetHashCode() => _value.GetHashCode();
    public static bool operator ==(VfToken a, VfToken b) => a.Equals(b);
    public static bool operator !=(VfToken a, VfToken b) => !a.Equals(b);
}

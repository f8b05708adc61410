using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vfio.Json;

/// <summary>
/// The escaping every vfioctl JSON writer uses: exactly what RFC 8259 requires (quotation mark,
/// reverse solidus and the control characters U+0000-U+001F, as <c>\uXXXX</c>); everything else,
/// non-ASCII text included, is written as UTF-8. That is what
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> gives for this output, without HTML
/// escaping (nothing here is embedded in a web page).
/// </summary>
/// <remarks>
/// Why not one of the framework's encoders: building them creates a Unicode bitmap and vectorised
/// search tables whose code is compiled at run time, about 0.2 s of a command's start-up under
/// emulation (bench/README.md, "Where vfioctl's time goes"). This encoder is plain precompiled code.
/// Text that is not valid UTF-16 or UTF-8 goes through the base class, which replaces it.
/// </remarks>
public sealed class JsonEscaping : JavaScriptEncoder
{
    /// <summary>The one instance.</summary>
    public static readonly JsonEscaping Instance = new();

    private JsonEscaping() { }

    /// <summary>Writer options with this escaping.</summary>
    public static JsonWriterOptions WriterOptions(bool indented) => new() { Indented = indented, Encoder = Instance };

    /// <inheritdoc />
    public override int MaxOutputCharactersPerInputCharacter => 6; // \uXXXX

    /// <inheritdoc />
    public override bool WillEncode(int unicodeScalar) => unicodeScalar is < 0x20 or '"' or '\\';

    /// <inheritdoc />
    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (int i = 0; i < textLength; i++)
        {
            char c = text[i];
            // Surrogates go to the base class, which pairs them or replaces a lone one.
            if (c < 0x20 || c == '"' || c == '\\' || char.IsSurrogate(c)) return i;
        }
        return -1;
    }

    /// <inheritdoc />
    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        for (int i = 0; i < utf8Text.Length; i++)
        {
            byte b = utf8Text[i];
            // Non-ASCII goes to the base class, which validates the sequence.
            if (b < 0x20 || b == '"' || b == '\\' || b >= 0x80) return i;
        }
        return -1;
    }

    /// <inheritdoc />
    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        if (!WillEncode(unicodeScalar))
        {
            // Not escaped: the scalar as UTF-16.
            if (!Rune.TryCreate(unicodeScalar, out var rune) || bufferLength < rune.Utf16SequenceLength)
            {
                numberOfCharactersWritten = 0;
                return false;
            }
            numberOfCharactersWritten = rune.EncodeToUtf16(new Span<char>(buffer, bufferLength));
            return true;
        }
        if (bufferLength < 6)
        {
            numberOfCharactersWritten = 0;
            return false;
        }
        const string hex = "0123456789ABCDEF";
        buffer[0] = '\\';
        buffer[1] = 'u';
        buffer[2] = '0';
        buffer[3] = '0';
        buffer[4] = hex[(unicodeScalar >> 4) & 0xf];
        buffer[5] = hex[unicodeScalar & 0xf];
        numberOfCharactersWritten = 6;
        return true;
    }
}

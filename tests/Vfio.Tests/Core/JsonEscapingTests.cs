using System.Text;
using System.Text.Json;
using Vfio.Json;

namespace Vfio.Tests.Core;

public class JsonEscapingTests
{
    private static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, JsonEscaping.WriterOptions(indented: false))) body(w);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Theory]
    [InlineData("0000:01:00.1")]
    [InlineData("quote \" backslash \\ slash /")]
    [InlineData("tab\tnewline\nnul\0bell\u0007 del\u007f")]
    [InlineData("<script>&'+")]
    [InlineData("Intel® Ethernet, Straße, 日本, emoji 🙂")]
    public void Text_round_trips_and_only_what_JSON_requires_is_escaped(string text)
    {
        var json = Write(w => { w.WriteStartObject(); w.WriteString(text, text); w.WriteEndObject(); });
        using var doc = JsonDocument.Parse(json);
        var property = Assert.Single(doc.RootElement.EnumerateObject());
        Assert.Equal(text, property.Name);
        Assert.Equal(text, property.Value.GetString());
        // Printable text, ASCII or not, is written as it is: readable output, no HTML escaping.
        foreach (var rune in text.EnumerateRunes())
            if (rune.Value >= 0x20 && rune.Value != '"' && rune.Value != '\\')
                Assert.Contains(rune.ToString(), json);
        Assert.DoesNotContain("\n", json);
        Assert.DoesNotContain("\t", json);
    }

    [Fact]
    public void Control_characters_are_written_as_unicode_escapes()
    {
        var json = Write(w => w.WriteStringValue("a\u0001b\u001fc"));
        Assert.Equal("\"a\\u0001b\\u001Fc\"", json);
    }

    [Fact]
    public void A_lone_surrogate_becomes_the_replacement_character_instead_of_invalid_UTF8()
    {
        var json = Write(w => w.WriteStringValue("x\ud800y"));
        Assert.Equal("x\ufffdy", JsonDocument.Parse(json).RootElement.GetString());
    }

    [Fact]
    public void UTF8_input_is_validated_not_copied_blindly()
    {
        var valid = Write(w => w.WriteStringValue("é \" 日"u8));
        Assert.Equal("é \" 日", JsonDocument.Parse(valid).RootElement.GetString());
        byte[] invalid = [(byte)'a', 0xff, (byte)'b'];
        var json = Write(w => w.WriteStringValue(invalid));
        Assert.Equal("\"a\ufffdb\"", json); // the bad byte is replaced, the output stays UTF-8
        Assert.Equal("a\ufffdb", JsonDocument.Parse(json).RootElement.GetString());
    }
}

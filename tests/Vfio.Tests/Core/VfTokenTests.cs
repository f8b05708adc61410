namespace Vfio.Tests.Core;

/// <summary>The VF token's text and byte forms, as the kernel reads them (uuid_parse; uuid_t in RFC 4122 order).</summary>
public class VfTokenTests
{
    [Theory]
    [InlineData("00112233-4455-6677-8899-aabbccddeeff")]
    [InlineData("00112233-4455-6677-8899-AABBCCDDEEFF")]
    public void The_kernels_form_parses_in_either_case(string text)
    {
        var t = VfToken.Parse(text);
        Assert.Equal(text.ToLowerInvariant(), t.Reveal());
        Assert.Equal("vf_token=" + text.ToLowerInvariant(), t.ToOpenOption());
    }

    [Theory]
    [InlineData("")]
    [InlineData("00112233-4455-6677-8899-aabbccddeef")]     // 35 characters
    [InlineData("00112233-4455-6677-8899-aabbccddeeff0")]   // 37
    [InlineData("{00112233-4455-6677-8899-aabbccddeeff}")]
    [InlineData("00112233445566778899aabbccddeeff")]
    [InlineData("00112233-4455-6677-8899_aabbccddeeff")]
    [InlineData("0011223g-4455-6677-8899-aabbccddeeff")]
    [InlineData(" 00112233-4455-6677-8899-aabbccddeeff")]
    public void Anything_uuid_parse_would_reject_is_rejected(string text)
    {
        Assert.False(VfToken.TryParse(text, out _));
        var e = Assert.Throws<FormatException>(() => VfToken.Parse(text));
        if (text.Length > 0) Assert.DoesNotContain(text.Trim(), e.Message); // a near-miss secret is not echoed
    }

    [Fact]
    public void The_feature_bytes_are_the_strings_hex_digits_in_order_not_the_guid_layout()
    {
        var t = VfToken.Parse("00112233-4455-6677-8899-aabbccddeeff");
        Assert.Equal(Convert.FromHexString("00112233445566778899aabbccddeeff"), t.ToRfc4122Bytes());
        // System.Guid's default layout swaps the first three fields: the pitfall this type avoids.
        Assert.NotEqual(t.ToRfc4122Bytes(), t.ToGuid().ToByteArray());
        Assert.Equal(t, VfToken.FromRfc4122Bytes(t.ToRfc4122Bytes()));
        Assert.Equal(t.Reveal(), t.ToGuid().ToString("D"));
    }

    [Fact]
    public void Generated_tokens_are_random_version_4_uuids()
    {
        var a = VfToken.Generate();
        var b = VfToken.Generate();
        Assert.NotEqual(a, b);
        foreach (var t in new[] { a, b })
        {
            var bytes = t.ToRfc4122Bytes();
            Assert.Equal(4, bytes[6] >> 4);
            Assert.Equal(0b10, bytes[8] >> 6);
            Assert.True(VfToken.TryParse(t.Reveal(), out var again) && again == t);
        }
    }

    [Fact]
    public void A_token_never_shows_itself_by_accident()
    {
        var t = VfToken.Parse("00112233-4455-6677-8899-aabbccddeeff");
        Assert.DoesNotContain("00112233", t.ToString());
        Assert.DoesNotContain("00112233", $"{t}");
        Assert.DoesNotContain("00112233", new Vfio.Execution.State.StoredVfToken(PciAddress.Parse("01:00.0"), t, DateTime.UnixEpoch).ToString());
    }
}

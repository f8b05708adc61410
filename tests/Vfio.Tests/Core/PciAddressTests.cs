using Vfio;

namespace Vfio.Tests;

public class PciAddressTests
{
    [Theory]
    [InlineData("0000:00:1f.2", 0u, 0, 0x1f, 2)]
    [InlineData("00:1f.2", 0u, 0, 0x1f, 2)]
    [InlineData("10000:e1:00.0", 0x10000u, 0xe1, 0, 0)]
    [InlineData("0000:AB:1F.7", 0u, 0xab, 0x1f, 7)]
    public void Parses_kernel_and_short_forms(string text, uint domain, int bus, int dev, int fn)
    {
        Assert.True(PciAddress.TryParse(text, out var a));
        Assert.Equal(new PciAddress(domain, (byte)bus, (byte)dev, (byte)fn), a);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1f.2")]
    [InlineData("000:00:1f.2")]     // domain shorter than 4 digits
    [InlineData("0000:00:20.0")]    // device > 0x1f
    [InlineData("0000:00:1f.8")]    // function > 7
    [InlineData("0000:0:1f.2")]
    [InlineData("0000:00:1f")]
    [InlineData("zz:00.0")]
    [InlineData("0000:00:00:1f.2")]
    public void Rejects_malformed_addresses(string text)
    {
        Assert.False(PciAddress.TryParse(text, out _));
        var ex = Assert.Throws<FormatException>(() => PciAddress.Parse(text));
        Assert.Contains("DDDD:BB:DD.F", ex.Message);
    }

    [Fact]
    public void Prints_the_kernel_spelling_and_sorts_numerically()
    {
        var a = PciAddress.Parse("10000:01:00.0");
        var b = PciAddress.Parse("00:02.0");
        Assert.Equal("10000:01:00.0", a.ToString());
        Assert.Equal("0000:00:02.0", b.ToString());
        Assert.True(b.CompareTo(a) < 0);
    }

    [Fact]
    public void Equality_hash_and_order_agree_for_every_field()
    {
        // Every field matters, including values the parser never produces (the constructor takes any byte).
        PciAddress[] all =
        [
            new(0, 0, 0, 0), new(0, 0, 0, 7), new(0, 0, 0x1f, 0), new(0, 0, 0xff, 0xff), new(0, 1, 0, 0),
            new(0, 0xff, 0xff, 0xff), new(1, 0, 0, 0), new(0x10000, 0, 0, 0), new(uint.MaxValue, 0xff, 0xff, 0xff),
        ];
        for (int i = 0; i < all.Length; i++)
            for (int j = 0; j < all.Length; j++)
            {
                Assert.Equal(i == j, all[i].Equals(all[j]));
                Assert.Equal(i == j, all[i] == all[j]);
                Assert.Equal(Math.Sign(i.CompareTo(j)), Math.Sign(PciAddress.Order(all[i], all[j])));
                Assert.Equal(Math.Sign(i.CompareTo(j)), Math.Sign(all[i].CompareTo(all[j])));
            }
        Assert.Equal(new PciAddress(0x10000, 3, 4, 5).GetHashCode(), PciAddress.Parse("10000:03:04.5").GetHashCode());
        var shuffled = all.Reverse().ToList();
        shuffled.Sort(PciAddress.Order);
        Assert.Equal(all, shuffled);
    }
}

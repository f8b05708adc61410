using Vfio.Userspace;

namespace Vfio.Tests.Userspace;

public sealed class VfTokenTests
{
    private static readonly Guid Token = Guid.Parse("01020304-0506-0708-090a-0b0c0d0e0f10");

    [Fact]
    public void Kernel_bytes_are_in_rfc4122_order_unlike_the_guid_default()
    {
        // RFC 4122: the bytes in the order the text spells them (what uuid_parse produces).
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray(), VfTokenFormat.ToKernelBytes(Token));
        // Guid's default layout swaps the first three fields: the reason for the big-endian API.
        Assert.Equal(new byte[] { 4, 3, 2, 1, 6, 5, 8, 7 }, Token.ToByteArray()[..8]);
        Assert.Equal(Token, VfTokenFormat.FromKernelBytes(VfTokenFormat.ToKernelBytes(Token)));
    }

    [Fact]
    public void Kernel_string_is_the_36_character_lower_case_uuid()
    {
        var token = Guid.Parse("2AB74924-C335-45F4-9B16-8569E5B08258");
        Assert.Equal("2ab74924-c335-45f4-9b16-8569e5b08258", VfTokenFormat.ToKernelString(token));
    }

    [Fact]
    public void Device_string_appends_the_vf_token_option_after_the_name()
    {
        var options = new VfioDeviceOptions { VfToken = Guid.Parse("2ab74924-c335-45f4-9b16-8569e5b08258") };
        Assert.Equal("0000:01:00.1 vf_token=2ab74924-c335-45f4-9b16-8569e5b08258", options.ToDeviceString("0000:01:00.1"));
        Assert.Equal("0000:01:00.1", new VfioDeviceOptions().ToDeviceString("0000:01:00.1"));
    }
}

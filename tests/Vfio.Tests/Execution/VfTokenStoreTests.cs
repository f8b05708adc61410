using Vfio.Execution.State;

namespace Vfio.Tests.Execution;

/// <summary>The VF token store: owner-only, durable, and silent about its secrets.</summary>
public sealed class VfTokenStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vfioctl-tokens-").FullName;
    private static readonly PciAddress Pf = PciAddress.Parse("0000:01:00.0");
    private static readonly VfToken Token = VfToken.Parse("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_stored_token_is_in_an_owner_only_file_and_comes_back()
    {
        var store = VfTokenStore.Load(_dir);
        Assert.Null(store.Find(Pf));
        store.Set(Pf, Token);
        var path = Path.Combine(_dir, VfTokenStore.FileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.False(File.Exists(path + ".tmp"));
        var again = VfTokenStore.Load(_dir).Find(Pf)!;
        Assert.Equal(Token, again.Token);
        Assert.True(VfTokenStore.Load(_dir).Remove(Pf));
        Assert.Empty(VfTokenStore.Load(_dir).Entries);
        Assert.False(VfTokenStore.Load(_dir).Remove(Pf));
    }

    [Fact]
    public void A_store_others_can_read_is_refused_without_quoting_it()
    {
        VfTokenStore.Load(_dir).Set(Pf, Token);
        var path = Path.Combine(_dir, VfTokenStore.FileName);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var e = Assert.Throws<InvalidDataException>(() => VfTokenStore.Load(_dir));
        Assert.Contains("can be read by others", e.Message);
        Assert.DoesNotContain(Token.Reveal(), e.Message);
    }

    [Fact]
    public void A_damaged_store_is_left_alone_and_not_quoted()
    {
        var path = Path.Combine(_dir, VfTokenStore.FileName);
        File.WriteAllText(path, "{\"tokens\": [{\"pf\": \"0000:01:00.0\", \"token\": \"" + Token.Reveal() + "\"");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var e = Assert.Throws<InvalidDataException>(() => VfTokenStore.Load(_dir));
        Assert.DoesNotContain(Token.Reveal(), e.Message);
        Assert.True(File.Exists(path));
    }
}

using Vfio.Tests.Support;

namespace Vfio.Tests.Cli;

/// <summary>A run builds only the command it names; help and errors still see every command.</summary>
public class CommandTreeTests
{
    [Theory]
    [InlineData("bind", new[] { "bind", "0000:00:02.0" })]
    [InlineData("restore", new[] { "--json", "restore", "--all" })]
    [InlineData("list", new[] { "--root", "/tmp/x", "list" })]
    [InlineData("plan", new[] { "--root=/tmp/x", "--json", "plan", "00:02.0" })]
    [InlineData(null, new[] { "--help" })]
    [InlineData(null, new[] { "frobnicate" })]
    [InlineData(null, new string[0])]
    public void The_named_command_is_found_after_global_options(string? expected, string[] args) =>
        Assert.Equal(expected, Vfioctl.Cli.NamedCommand(args));

    [Fact]
    public void Help_without_a_command_lists_every_command()
    {
        var r = CliRun.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var c in new[] { "list", "groups", "show", "snapshot", "plan", "bind", "restore", "unbind", "lab" })
            Assert.Contains($"  {c}", r.Out);
    }

    [Fact]
    public void A_command_s_own_help_shows_its_options_and_the_global_ones()
    {
        var r = CliRun.Run("bind", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--fence", r.Out);
        Assert.Contains("--dry-run", r.Out);
        Assert.Contains("--json", r.Out);
    }
}

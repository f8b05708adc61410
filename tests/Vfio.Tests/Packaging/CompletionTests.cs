using System.Diagnostics;
using Vfio.Tests.Support;

namespace Vfio.Tests.Packaging;

/// <summary>
/// The bash completion and the man page's command reference are written from the command tree
/// ('vfioctl completion bash|roff'): every command is in both, and the script completes in bash.
/// </summary>
public class CompletionTests
{
    /// <summary>Commands that exist today (later ones are covered the same way: the tree is walked, not listed).</summary>
    private static readonly string[] Commands = ["list", "groups", "show", "snapshot", "plan", "bind", "restore", "unbind", "sriov", "lab"];

    /// <summary>What bash completes for the words typed so far (the last one being completed).</summary>
    private static string[] Complete(string script, params string[] words)
    {
        var dir = Directory.CreateTempSubdirectory("vfioctl-completion-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "vfioctl"), script);
            var quoted = string.Join(' ', words.Select(w => "'" + w + "'"));
            var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add($". '{dir}/vfioctl'; COMP_WORDS=({quoted}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); _vfioctl; printf '%s\\n' \"${{COMPREPLY[@]}}\"");
            using var p = Process.Start(psi)!;
            var output = p.StandardOutput.ReadToEnd();
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, err);
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Bash_completes_the_commands_their_subcommands_and_their_options()
    {
        var r = CliRun.Run("completion", "bash");
        Assert.Equal(0, r.ExitCode);

        var top = Complete(r.Out, "vfioctl", "");
        foreach (var c in Commands) Assert.Contains(c, top);
        Assert.DoesNotContain("completion", top);
        Assert.Equal(["enable"], Complete(r.Out, "vfioctl", "--root", "/tmp", "sriov", "en"));
        var bindOptions = Complete(r.Out, "vfioctl", "bind", "--");
        foreach (var o in new[] { "--driver", "--fence", "--force", "--dry-run", "--json", "--root" })
            Assert.Contains(o, bindOptions);
        // The hidden command itself is offered nowhere.
        Assert.DoesNotContain("completion", Complete(r.Out, "vfioctl", "co"));
    }

    [Fact]
    public void The_man_page_reference_has_every_command_with_its_options()
    {
        var r = CliRun.Run("completion", "roff");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith(".\\\"", r.Out);
        foreach (var c in Commands) Assert.Contains($".SS \"{c}\"", r.Out);
        Assert.Contains(".SS \"sriov enable\"", r.Out);
        Assert.Contains(".B \\-\\-fence", r.Out);
        Assert.DoesNotContain(".SS \"completion\"", r.Out);
    }

    [Fact]
    public void The_completion_command_is_not_in_the_help()
    {
        var r = CliRun.Run("--help");
        Assert.DoesNotContain("completion", r.Out);
    }
}

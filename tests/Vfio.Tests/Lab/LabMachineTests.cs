using Vfio.Lab;
using Vfio.Tests.Support;

namespace Vfio.Tests.Lab;

public class LabMachineTests
{
    private static IReadOnlyList<string> Arguments(LabRunOptions options) =>
        LabRunner.MachineArguments(options, new KernelImage(KernelSeries.Default, "pkg", "6.12.0-test", "/k"), "/initrd", "/share", d => $"/disks/{d}");

    [Fact]
    public void The_guest_CPU_is_QEMU_s_default_unless_a_model_is_named()
    {
        Assert.DoesNotContain("-cpu", Arguments(new LabRunOptions(["true"])));

        var args = Arguments(new LabRunOptions(["true"]) { CpuModel = "max" });
        int i = args.ToList().IndexOf("-cpu");
        Assert.True(i >= 0, "no -cpu argument");
        Assert.Equal("max", args[i + 1]);
        Assert.Equal("tcg", args[args.ToList().IndexOf("-accel") + 1]); // still emulation: the model is not a host passthrough
    }

    [Theory]
    [InlineData("max,+avx512f")]
    [InlineData("host -enable-kvm")]
    [InlineData("")]
    public void A_cpu_that_is_not_a_model_name_is_a_usage_error_before_anything_boots(string model)
    {
        var r = CliRun.Run("lab", "run", "--cpu", model, "--", "true");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--cpu", r.Err);
    }

    [Fact]
    public void A_uefi_guest_boots_ovmf_from_read_only_code_and_its_own_copy_of_the_variable_store()
    {
        Assert.DoesNotContain(Arguments(new LabRunOptions(["true"])), a => a.Contains("pflash", StringComparison.Ordinal));

        var args = LabRunner.MachineArguments(new LabRunOptions(["true"]) { Firmware = LabFirmware.Uefi },
            new KernelImage(KernelSeries.Default, "pkg", "6.12.0-test", "/k"), "/initrd", "/share", d => $"/disks/{d}",
            firmware: ("/cache/ovmf/OVMF_CODE_4M.fd", "/run/x/OVMF_VARS.fd"));
        Assert.Contains("if=pflash,format=raw,unit=0,readonly=on,file=/cache/ovmf/OVMF_CODE_4M.fd", args);
        Assert.Contains("if=pflash,format=raw,unit=1,file=/run/x/OVMF_VARS.fd", args);
        // Still direct kernel boot: OVMF loads -kernel and -initrd from fw_cfg.
        Assert.Contains("-kernel", args);
        Assert.Contains("-initrd", args);
    }

    [Fact]
    public void An_unknown_firmware_is_a_usage_error_before_anything_boots()
    {
        var r = CliRun.Run("lab", "run", "--firmware", "coreboot", "--", "true");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'coreboot' not recognized", r.Err);
    }
}

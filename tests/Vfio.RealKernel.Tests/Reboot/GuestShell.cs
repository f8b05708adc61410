namespace Vfio.RealKernel.Tests.Reboot;

/// <summary>Shell fragments (busybox-free: the guest runs the host's /bin/sh) for reboot scenarios.</summary>
public static class GuestShell
{
    /// <summary>
    /// Defines <c>nvme_block ADDR</c>: prints /dev/nvmeXnY of the NVMe controller at ADDR, waiting
    /// up to 10 s for the namespace to appear (the controller's scan is asynchronous); empty if none.
    /// </summary>
    public const string NvmeBlock = """
        nvme_block() {
            i=0
            while [ "$i" -lt 100 ]; do
                for b in /sys/block/nvme*; do
                    case "$(readlink -f "$b")" in
                        */"$1"/*) [ -b "/dev/${b##*/}" ] && { echo "/dev/${b##*/}"; return 0; } ;;
                    esac
                done
                sleep 0.1
                i=$((i + 1))
            done
            return 1
        }

        """;

    /// <summary>Prints <c>driver:ADDR=NAME</c> (or <c>none</c>) for the device at ADDR.</summary>
    public static string Driver(string address) =>
        $"d=$(readlink /sys/bus/pci/devices/{address}/driver); d=${{d##*/}}; echo \"driver:{address}=${{d:-none}}\"\n";

    /// <summary>
    /// Defines <c>vfioctl</c> as the native binary under test (the host's, seen through the root
    /// share), for guests that have not installed the package.
    /// </summary>
    public static string Vfioctl => $"vfioctl() {{ '{RebootLab.Vfioctl.Replace("'", "'\\''", StringComparison.Ordinal)}' \"$@\"; }}\n";
}

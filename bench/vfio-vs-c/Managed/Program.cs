using System.Globalization;
using Vfio;
using Vfio.Bench.VfioVsC;
using Vfio.Userspace;

// The managed side of bench/vfio-vs-c.sh: the calls bench.c makes, through Vfio.Userspace.
//   bench-managed ADDRESS [--backend container|iommufd] [--map N] [--mmio N] [--passes P] [--warmup W] [--offset OFF]
// Prints "RESULT side=managed what=map_unmap|mmio_read32 pass=P ops=N ns=T" per timed pass.
if (args.Length < 1 || !PciAddress.TryParse(args[0], out var address))
{
    Console.Error.WriteLine("usage: bench-managed ADDRESS [--backend container|iommufd] [--map N] [--mmio N] [--passes P] [--warmup W] [--offset OFF]");
    return 2;
}
long maps = 5000, reads = 200000, passes = 5, warmup = 1;
ulong offset = 0;
var backend = VfioBackend.Container;
for (int i = 1; i + 1 < args.Length; i += 2)
{
    string v = args[i + 1];
    switch (args[i])
    {
        case "--backend": backend = v == "iommufd" ? VfioBackend.Iommufd : v == "container" ? VfioBackend.Container : throw new ArgumentException($"--backend {v}: container or iommufd"); break;
        case "--map": maps = long.Parse(v, CultureInfo.InvariantCulture); break;
        case "--mmio": reads = long.Parse(v, CultureInfo.InvariantCulture); break;
        case "--passes": passes = long.Parse(v, CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = long.Parse(v, CultureInfo.InvariantCulture); break;
        case "--offset": offset = v.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? ulong.Parse(v[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : ulong.Parse(v, CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"bench-managed: unknown option {args[i]}"); return 2;
    }
}

using var session = VfioSession.Open(address, new VfioSessionOptions { Backend = backend });
using var bar0 = session.Device.MapBar(0);
using var page = AnonymousPage.Map();
// Each backend's space is a sealed class: the loops call it directly, as the C side calls ioctl.
var container = session.Backend == VfioBackend.Container ? session.Container : null;
var ioas = session.Dma as IommufdIoas;
// The allocator's first IOVA (0x1000), which bench.c uses too.
ulong iova = session.Dma.Iova.Allocate(AnonymousPage.Size);
long MapUnmap(long n) => container is not null ? Bench.MapUnmap(container, page.Address, iova, n) : Bench.MapUnmap(ioas!, page.Address, iova, n);
if (iova != 0x1000) Console.Error.WriteLine($"bench-managed: note: IOVA 0x{iova:x}, the C side uses 0x1000");

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"INFO side=managed backend={session.Backend.ToString().ToLowerInvariant()} register=0x{offset:x} value=0x{bar0.Read32(offset):x8} bar0_size={bar0.Length} runtime={Environment.Version}"));
// Warm-up: W passes and at least half a second, so the loops and the library's calls run as
// fully optimised (tier-1) code when timing starts; the C side follows the same rule.
long warmStart = System.Diagnostics.Stopwatch.GetTimestamp();
for (long p = 0; p < warmup || System.Diagnostics.Stopwatch.GetElapsedTime(warmStart).TotalSeconds < 0.5; p++)
{
    MapUnmap(maps);
    Bench.MmioReads(bar0, offset, reads);
}
for (long p = 1; p <= passes; p++)
{
    long t = MapUnmap(maps);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT side=managed what=map_unmap pass={p} ops={maps} ns={t}"));
    t = Bench.MmioReads(bar0, offset, reads);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT side=managed what=mmio_read32 pass={p} ops={reads} ns={t}"));
}
session.Dma.Iova.Free(iova);
return 0;

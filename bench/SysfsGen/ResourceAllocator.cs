namespace SysfsGen;

/// <summary>
/// Assigns BAR, ROM, SR-IOV and bridge-window addresses depth first, the way firmware and
/// pci_assign_unassigned_resources end up laying them out: naturally aligned BARs, bridge
/// windows of 1 MiB (memory) and 4 KiB (I/O) granularity that contain everything below them.
/// </summary>
internal sealed class ResourceAllocator(Host host)
{
    // include/linux/ioport.h
    public const ulong IORESOURCE_IO = 0x100, IORESOURCE_MEM = 0x200, IORESOURCE_PREFETCH = 0x2000,
        IORESOURCE_READONLY = 0x4000, IORESOURCE_SIZEALIGN = 0x40000, IORESOURCE_MEM_64 = 0x100000;

    private const ulong Mib = 1UL << 20;
    private ulong _io = 0x2000;
    private ulong _mem = 0x9000_0000;
    private ulong _pref = 0x2000_0000_0000;

    /// <summary>Flags as the kernel shows them in <c>resource</c>: IORESOURCE_* plus the BAR's low bits.</summary>
    public static ulong Flags(BarKind k) => k switch
    {
        BarKind.Mem32 => IORESOURCE_SIZEALIGN | IORESOURCE_MEM,
        BarKind.Mem64 => IORESOURCE_MEM_64 | IORESOURCE_SIZEALIGN | IORESOURCE_MEM | 0x4,
        BarKind.Mem64Pref => IORESOURCE_MEM_64 | IORESOURCE_SIZEALIGN | IORESOURCE_PREFETCH | IORESOURCE_MEM | 0xc,
        _ => IORESOURCE_SIZEALIGN | IORESOURCE_IO | 0x1,
    };

    public const ulong RomFlags = IORESOURCE_SIZEALIGN | IORESOURCE_READONLY | IORESOURCE_PREFETCH | IORESOURCE_MEM;
    public const ulong IoWindowFlags = IORESOURCE_IO;
    public const ulong MemWindowFlags = IORESOURCE_MEM;
    public const ulong PrefWindowFlags = IORESOURCE_MEM_64 | IORESOURCE_PREFETCH | IORESOURCE_MEM | 0x1;

    public void Run()
    {
        foreach (var rc in host.Roots.OrderBy(r => r.Domain).ThenBy(r => r.Bus.Number))
        {
            _pref = Align(_pref, 1UL << 36);
            AllocBus(rc.Bus);
        }
        foreach (var pf in host.Functions.Where(f => f.Vfs.Count > 0))
        {
            foreach (var vf in pf.Vfs)
            {
                foreach (var bar in pf.T.Sriov!.VfBars)
                {
                    var iov = pf.R[7 + bar.Index];
                    ulong start = iov.Start + bar.Size * (ulong)vf.VfId;
                    vf.R[bar.Index] = new Res { Start = start, End = start + bar.Size - 1, Flags = iov.Flags };
                }
            }
        }
    }

    private static ulong Align(ulong v, ulong a) => (v + a - 1) & ~(a - 1);

    private ref ulong Pool(BarKind k)
    {
        if (k == BarKind.Io) return ref _io;
        if (k == BarKind.Mem64Pref) return ref _pref;
        return ref _mem; // 64-bit non-prefetchable BARs live in the 32-bit window too
    }

    private Res Take(BarKind kind, ulong size, ulong align, ulong flags)
    {
        ref ulong p = ref Pool(kind);
        ulong start = Align(p, align);
        p = start + size;
        if (kind == BarKind.Io && p > 0x10000) throw new InvalidOperationException("synthetic host ran out of I/O port space");
        if ((kind is BarKind.Mem32 or BarKind.Mem64) && p > 0xfc00_0000) throw new InvalidOperationException("synthetic host ran out of 32-bit MMIO space");
        return new Res { Start = start, End = start + size - 1, Flags = flags };
    }

    private void AllocDevice(PciFunction f)
    {
        foreach (var bar in f.T.Bars)
            f.R[bar.Index] = Take(bar.Kind, bar.Size, bar.Size, Flags(bar.Kind));
        if (f.T.RomSize > 0)
            f.R[6] = Take(BarKind.Mem32, f.T.RomSize, f.T.RomSize, RomFlags);
        if (f.T.Sriov is { } s)
        {
            foreach (var bar in s.VfBars)
                f.R[7 + bar.Index] = Take(bar.Kind, bar.Size * (ulong)s.TotalVfs, bar.Size, Flags(bar.Kind));
        }
    }

    private void AllocBus(PciBus bus)
    {
        foreach (var d in bus.Devices) AllocDevice(d);
        foreach (var d in bus.Devices)
        {
            if (d.Secondary is not { } sec) continue;
            _io = Align(_io, 0x1000);
            _mem = Align(_mem, Mib);
            _pref = Align(_pref, Mib);
            ulong io0 = _io, mem0 = _mem, pref0 = _pref;
            AllocBus(sec);
            _io = Align(_io, 0x1000);
            _mem = Align(_mem, Mib);
            _pref = Align(_pref, Mib);
            d.IoWindow = _io > io0 ? new Res { Start = io0, End = _io - 1, Flags = IoWindowFlags } : default;
            d.MemWindow = _mem > mem0 ? new Res { Start = mem0, End = _mem - 1, Flags = MemWindowFlags } : default;
            d.PrefWindow = _pref > pref0 ? new Res { Start = pref0, End = _pref - 1, Flags = PrefWindowFlags } : default;
            d.R[13] = d.IoWindow;
            d.R[14] = d.MemWindow;
            d.R[15] = d.PrefWindow;
        }
    }
}

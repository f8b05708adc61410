using System.Buffers.Binary;

namespace SysfsGen;

/// <summary>
/// Builds the binary <c>config</c> file of a function: a valid type 0/1 header consistent with
/// the <c>resource</c> file and the bus numbers, and a capability list (PM, MSI, PCIe, MSI-X,
/// bridge subsystem ID; extended: AER, DSN, ACS, ARI, SR-IOV) laid out as include/uapi/linux/pci_regs.h
/// describes, so lspci -v decodes it without complaint.
/// </summary>
internal sealed class ConfigSpace
{
    private readonly byte[] _b;
    private int _lastNext = 0x34; // where the next capability's offset goes
    private int _capPos = 0x40;
    private int _lastExt = -1;
    private int _extPos = 0x100;

    private ConfigSpace(int size) => _b = new byte[size];

    private void W8(int o, int v) => _b[o] = (byte)v;
    private void W16(int o, int v) => BinaryPrimitives.WriteUInt16LittleEndian(_b.AsSpan(o), (ushort)v);
    private void W32(int o, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(_b.AsSpan(o), v);
    private uint R32(int o) => BinaryPrimitives.ReadUInt32LittleEndian(_b.AsSpan(o));

    private int Cap(int id, int len)
    {
        int pos = _capPos;
        W8(_lastNext, pos);
        W8(pos, id);
        W8(pos + 1, 0);
        _lastNext = pos + 1;
        _capPos = (pos + len + 3) & ~3;
        W16(0x06, BinaryPrimitives.ReadUInt16LittleEndian(_b.AsSpan(0x06)) | 0x0010); // PCI_STATUS_CAP_LIST
        return pos;
    }

    private int ExtCap(int id, int version, int len)
    {
        int pos = _extPos;
        if (_lastExt >= 0) W32(_lastExt, (R32(_lastExt) & 0x000fffff) | ((uint)pos << 20));
        W32(pos, (uint)id | ((uint)version << 16));
        _lastExt = pos;
        _extPos = (pos + len + 3) & ~3;
        return pos;
    }

    public static byte[] Build(PciFunction f)
    {
        var c = new ConfigSpace(f.ConfigSize);
        c.Fill(f);
        return c._b;
    }

    private void Fill(PciFunction f)
    {
        var t = f.T;
        bool vf = f.IsVf;
        bool bridge = f.IsBridge;
        bool hostDriver = f.Driver is not null && f.Driver != "vfio-pci";

        // A VF's Vendor and Device ID registers read 0xffff (SR-IOV spec 3.4.1.1): the kernel
        // takes them from the PF, which is why sysfs vendor/device differ from config here.
        W16(0x00, vf ? 0xffff : f.Vendor);
        W16(0x02, vf ? 0xffff : f.Device);

        bool hasMem = t.Bars.Any(b => b.Kind != BarKind.Io) || bridge;
        bool hasIo = t.Bars.Any(b => b.Kind == BarKind.Io) || (bridge && f.IoWindow.IsSet);
        int cmd = 0;
        if (vf)
        {
            if (hostDriver) cmd = 0x0004 | 0x0400; // VF memory decode lives in the PF's SR-IOV control
        }
        else
        {
            if (hasMem) cmd |= 0x0002;
            if (hasIo) cmd |= 0x0001;
            if (hostDriver) cmd |= 0x0004;
            if (hostDriver && (t.Msi || t.Msix > 0) && !bridge) cmd |= 0x0400;
            if (bridge) cmd |= 0x0100 | 0x0040; // SERR#, parity
        }
        W16(0x04, cmd);
        W16(0x06, 0);
        W8(0x08, t.Revision);
        W8(0x09, (int)(t.Class & 0xff));
        W8(0x0a, (int)((t.Class >> 8) & 0xff));
        W8(0x0b, (int)((t.Class >> 16) & 0xff));
        W8(0x0c, vf ? 0 : 0x10);
        W8(0x0e, (bridge ? 1 : 0) | (f.Multifunction ? 0x80 : 0));
        int pin = vf ? 0 : 1;

        if (!vf)
        {
            foreach (var bar in t.Bars)
            {
                var r = f.R[bar.Index];
                int o = 0x10 + 4 * bar.Index;
                switch (bar.Kind)
                {
                    case BarKind.Io:
                        W32(o, (uint)(r.Start & 0xfffffffc) | 1);
                        break;
                    case BarKind.Mem32:
                        W32(o, (uint)(r.Start & 0xfffffff0));
                        break;
                    default:
                        W32(o, (uint)(r.Start & 0xfffffff0) | (bar.Kind == BarKind.Mem64Pref ? 0xcu : 0x4u));
                        W32(o + 4, (uint)(r.Start >> 32));
                        break;
                }
            }
        }

        if (bridge)
        {
            W8(0x18, f.BusNo);
            W8(0x19, f.Secondary!.Number);
            W8(0x1a, f.SubordinateNo);
            W8(0x1b, 0);
            if (f.IoWindow.IsSet)
            {
                W8(0x1c, (int)((f.IoWindow.Start >> 8) & 0xf0));
                W8(0x1d, (int)((f.IoWindow.End >> 8) & 0xf0));
            }
            else
            {
                W8(0x1c, 0xf0);
                W8(0x1d, 0x00);
            }
            if (f.MemWindow.IsSet)
            {
                W16(0x20, (int)((f.MemWindow.Start >> 16) & 0xfff0));
                W16(0x22, (int)((f.MemWindow.End >> 16) & 0xfff0));
            }
            else
            {
                W16(0x20, 0xfff0);
                W16(0x22, 0x0000);
            }
            if (f.PrefWindow.IsSet)
            {
                W16(0x24, (int)((f.PrefWindow.Start >> 16) & 0xfff0) | 1);
                W16(0x26, (int)((f.PrefWindow.End >> 16) & 0xfff0) | 1);
                W32(0x28, (uint)(f.PrefWindow.Start >> 32));
                W32(0x2c, (uint)(f.PrefWindow.End >> 32));
            }
            else
            {
                W16(0x24, 0xfff1);
                W16(0x26, 0x0001);
            }
            W8(0x3c, f.Irq & 0xff);
            W8(0x3d, pin);
            W16(0x3e, 0x0002 | (f.VgaEnable ? 0x0018 : 0));
        }
        else
        {
            W16(0x2c, t.SubVendor);
            W16(0x2e, t.SubDevice);
            if (t.RomSize > 0) W32(0x30, (uint)(f.R[6].Start & 0xfffff800)); // enable bit clear: ROM disabled
            W8(0x3c, pin == 0 ? 0 : f.Irq & 0xff);
            W8(0x3d, pin);
        }

        // --- Capability list ----------------------------------------------------------------
        if (!vf)
        {
            int pm = Cap(0x01, 8);
            W16(pm + 2, 0xc803); // version 3, PME from D0/D3hot/D3cold
            int pmcsr = f.Suspended ? 0x0003 : 0x0000;
            if (t.Reset is null || !t.Reset.Contains("pm")) pmcsr |= 0x0008; // No_Soft_Reset, so no "pm" reset
            W16(pm + 4, pmcsr);
        }

        bool msiEnabled = hostDriver && t.Msi && t.Msix == 0;
        if (t.Msi && !vf)
        {
            int msi = Cap(0x05, 0x18);
            W16(msi + 2, 0x0180 | (msiEnabled ? 1 : 0)); // 64-bit, per-vector masking
            if (msiEnabled)
            {
                W32(msi + 4, 0xfee00000u | (uint)((f.MsiVectors.Count > 0 ? f.MsiVectors[0] : 0) % 64) << 12);
                W16(msi + 12, 0x4000 | ((f.MsiVectors.Count > 0 ? f.MsiVectors[0] : 0) & 0xff));
            }
        }

        if (t.IsPcie) PcieCap(f);

        if (t.Msix > 0)
        {
            int x = Cap(0x11, 12);
            bool on = hostDriver;
            W16(x + 2, (t.Msix - 1) | (on ? 0x8000 : 0));
            var memBars = t.Bars.Where(b => b.Kind != BarKind.Io).ToArray();
            var bir = memBars.Length > 1 ? memBars[^1] : memBars.FirstOrDefault();
            ulong table = bir.Index == 0 && memBars.Length == 1 ? bir.Size / 2 : 0;
            ulong pba = (table + (ulong)t.Msix * 16 + 7) & ~7UL;
            W32(x + 4, (uint)table | (uint)bir.Index);
            W32(x + 8, (uint)pba | (uint)bir.Index);
        }

        if (bridge && t.SubVendor != 0)
        {
            int ss = Cap(0x0d, 8);
            W16(ss + 4, t.SubVendor);
            W16(ss + 6, t.SubDevice);
        }

        if (f.ConfigSize < 4096) return;

        // --- Extended capabilities ----------------------------------------------------------
        if (t.Aer && !vf)
        {
            int aer = ExtCap(0x0001, 2, 0x48);
            W32(aer + 0x0c, 0x00462030); // uncorrectable severity (defaults)
            W32(aer + 0x14, 0x00002000); // correctable mask: advisory non-fatal
            W32(aer + 0x18, 0x000000a0); // ECRC generation/check capable
        }
        if (t.Dsn && !vf)
        {
            int dsn = ExtCap(0x0003, 1, 12);
            W32(dsn + 4, (uint)f.Serial);
            W32(dsn + 8, (uint)(f.Serial >> 32));
        }
        if (t.Acs && !vf)
        {
            int acs = ExtCap(0x000d, 1, 8);
            bool port = t.Pcie is PcieType.RootPort or PcieType.DownstreamPort;
            W16(acs + 4, port ? 0x005f : 0x001d);
            W16(acs + 6, 0x001d); // Source Validation, Request/Completion Redirect, Upstream Forwarding
        }
        if (f.Ari)
        {
            int ari = ExtCap(0x000e, 1, 8);
            int next = 0;
            if (!vf && f.Port + 1 < f.PortsOnCard) next = f.Func + 1;
            W16(ari + 4, next << 8);
            W16(ari + 6, 0);
        }
        if (f.IsPf) SriovCap(f);
    }

    private void PcieCap(PciFunction f)
    {
        var t = f.T;
        bool vf = f.IsVf;
        bool port = t.Pcie is PcieType.RootPort or PcieType.DownstreamPort;
        bool slot = port && (f.PhysSlot > 0 || t.Pcie == PcieType.DownstreamPort);
        int p = Cap(0x10, 0x3c);
        W16(p + 2, 0x0002 | ((int)t.Pcie << 4) | (slot ? 0x0100 : 0));

        bool flr = t.Reset?.Contains("flr") == true;
        uint devcap = (uint)(port || t.IsBridge ? 1 : 2) | 0x20 | 0x8000 | (flr ? 0x10000000u : 0);
        if (!t.IsBridge) devcap |= 0x0fc0; // L0s/L1 acceptable latency: no limit
        W32(p + 4, devcap);
        W16(p + 8, vf ? 0 : 0x2930); // RO, MPS 256, ext tag, no snoop, MRRS 512
        W16(p + 10, 0);

        bool linked = t.Pcie != PcieType.RcIntegrated && !vf;
        if (linked)
        {
            var (speed, width) = Link(f);
            uint lnkcap = (uint)t.LinkSpeed | ((uint)t.LinkWidth << 4) | 0x0c00 | 0x00038000;
            if (port) lnkcap |= 0x00100000 | ((uint)(f.Slot + 1) << 24); // DLL active reporting, port number
            W32(p + 0x0c, lnkcap);
            W16(p + 0x10, 0x0040); // common clock
            int lnksta = speed | (width << 4) | 0x1000;
            if (port && width > 0) lnksta |= 0x2000; // data link layer active
            W16(p + 0x12, lnksta);
            W16(p + 0x2c, ((1 << t.LinkSpeed) - 1) << 1); // supported link speeds vector
            W16(p + 0x30, t.LinkSpeed);
        }
        if (slot)
        {
            bool present = f.Secondary!.Devices.Count > 0;
            uint slotcap = ((uint)f.PhysSlot << 19) | (25u << 7);
            if (f.HotplugSlot) slotcap |= 0x60; // hot-plug surprise + capable
            W32(p + 0x14, slotcap);
            W16(p + 0x1a, present ? 0x0040 : 0);
        }
        uint devcap2 = vf ? 0 : 0x0000081fu;
        if (port) devcap2 |= 0x20; // ARI forwarding supported
        W32(p + 0x24, devcap2);
        W16(p + 0x28, f.AriForwarding ? 0x20 : 0);
    }

    /// <summary>Negotiated link of this function: the slower/narrower end of its link.</summary>
    private static (int Speed, int Width) Link(PciFunction f)
    {
        var t = f.T;
        if (t.Pcie is PcieType.RootPort or PcieType.DownstreamPort)
        {
            var below = f.Secondary!.Devices.FirstOrDefault(d => d.T.IsPcie);
            if (below is null) return (1, 0);
            return (Math.Min(t.LinkSpeed, below.T.LinkSpeed), Math.Min(t.LinkWidth, below.T.LinkWidth));
        }
        var up = f.Upstream;
        if (up is null || !up.T.IsPcie) return (t.LinkSpeed, t.LinkWidth);
        return (Math.Min(t.LinkSpeed, up.T.LinkSpeed), Math.Min(t.LinkWidth, up.T.LinkWidth));
    }

    public static (int Speed, int Width) NegotiatedLink(PciFunction f) =>
        f.IsVf || f.T.Pcie == PcieType.RcIntegrated || !f.T.IsPcie ? (0, 0) : Link(f);

    private void SriovCap(PciFunction f)
    {
        var s = f.T.Sriov!;
        int p = ExtCap(0x0010, 1, 0x40);
        W32(p + 0x04, 0x00000002); // ARI Capable Hierarchy Preserved
        int ctl = 0;
        if (f.NumVfs > 0) ctl |= 0x0001 | 0x0008; // VF Enable, VF Memory Space Enable
        if (f.Ari) ctl |= 0x0010; // ARI Capable Hierarchy
        W16(p + 0x08, ctl);
        W16(p + 0x0c, s.TotalVfs);
        W16(p + 0x0e, s.TotalVfs);
        W16(p + 0x10, f.NumVfs);
        W8(p + 0x12, f.Func);
        W16(p + 0x14, f.SriovOffset);
        W16(p + 0x16, f.SriovStride);
        W16(p + 0x1a, s.VfDevice);
        W32(p + 0x1c, 0x00000553); // supported page sizes
        W32(p + 0x20, 0x00000001); // system page size 4K
        foreach (var bar in s.VfBars)
        {
            var r = f.R[7 + bar.Index];
            int o = p + 0x24 + 4 * bar.Index;
            W32(o, (uint)(r.Start & 0xfffffff0) | (bar.Kind == BarKind.Mem64Pref ? 0xcu : bar.Kind == BarKind.Mem64 ? 0x4u : 0u));
            if (bar.Kind != BarKind.Mem32) W32(o + 4, (uint)(r.Start >> 32));
        }
    }
}

namespace SysfsGen;

/// <summary>The whole synthetic machine, ready to be written out.</summary>
internal sealed class Host
{
    public required ulong Seed { get; init; }
    public List<RootComplex> Roots { get; } = [];
    /// <summary>Every function in the order the kernel registers (and IOMMU-probes) them:
    /// bus by bus depth-first as pci_bus_add_devices does, then VFs in PF order.</summary>
    public List<PciFunction> Functions { get; } = [];
    public List<List<PciFunction>> Groups { get; } = [];
    public List<PciFunction> Nvme { get; } = [];
    public List<PciFunction> Netdevs { get; } = [];
    public int SlotCount { get; set; }
    public bool VfioEnableSriov { get; set; }
    /// <summary>Functions that need an RMRR (direct-relaxable) reserved region in their group.</summary>
    public HashSet<PciFunction> Rmrr { get; } = [];
}

/// <summary>
/// Builds a deterministic two-socket server with exactly the requested number of PCI
/// functions: a fixed platform (PCH, CPU root complexes, onboard devices, a PCIe switch with
/// GPUs and NVMe, SR-IOV NICs) plus filler SR-IOV NICs whose VF counts make up the rest.
/// </summary>
internal sealed class HostBuilder
{
    private readonly Host _host;
    private readonly Prng _rng;
    private readonly List<PciFunction> _freeSlots = [];
    private readonly int[] _stacksPerSocket = new int[2];
    private readonly List<List<PciFunction>> _cards = [];
    private int _nonVf;

    private HostBuilder(ulong seed)
    {
        _host = new Host { Seed = seed };
        _rng = new Prng(seed);
    }

    public static Host Build(int functions, ulong seed)
    {
        var b = new HostBuilder(seed);
        b.BuildPlatform();
        if (functions < b._nonVf)
            throw new ArgumentException($"--functions must be at least {b._nonVf} (the fixed platform alone has that many)");
        b.AddFillers(functions);
        b.ChooseVfCounts(functions);
        b.AssignBusNumbers();
        b.CreateVfs();
        b.OrderFunctions();
        b.AssignGroups();
        new ResourceAllocator(b._host).Run();
        b.AssignRuntimeState();
        if (b._host.Functions.Count != functions)
            throw new InvalidOperationException($"internal error: built {b._host.Functions.Count} functions, wanted {functions}");
        return b._host;
    }

    // ---------------------------------------------------------------------------------------------
    // Structure

    private RootComplex NewRoot(int socket)
    {
        var rc = new RootComplex { Index = _host.Roots.Count, Socket = socket };
        rc.Bus = new PciBus { Root = rc };
        _host.Roots.Add(rc);
        return rc;
    }

    private PciFunction Add(PciBus bus, int slot, int fn, Template t, string? driver = "")
    {
        var f = new PciFunction(t, bus, slot * 8 + fn) { Driver = driver == "" ? t.Driver : driver };
        bus.Devices.Add(f);
        if (t.IsBridge) f.Secondary = new PciBus { Root = bus.Root, Self = f, Parent = bus };
        _nonVf++;
        return f;
    }

    private void MarkMultifunction(PciBus bus)
    {
        foreach (var g in bus.Devices.GroupBy(d => d.Slot))
            if (g.Count() > 1)
                foreach (var f in g) f.Multifunction = true;
    }

    private void BuildPlatform()
    {
        // Socket 0, root bus 00: DMI host bridge, CBDMA, IIO registers, the PCH.
        var rc0 = NewRoot(0);
        var b0 = rc0.Bus;
        Add(b0, 0x00, 0, Catalog.SklDmi);
        for (int fn = 0; fn < 8; fn++) Add(b0, 0x04, fn, Catalog.Cbdma);
        Add(b0, 0x05, 0, Catalog.IioVtd);
        Add(b0, 0x05, 2, Catalog.IioRas);
        Add(b0, 0x05, 4, Catalog.IioApic);
        Add(b0, 0x11, 5, Catalog.Ssata);
        var xhci = Add(b0, 0x14, 0, Catalog.Xhci);
        _host.Rmrr.Add(xhci);
        Add(b0, 0x14, 2, Catalog.Thermal);
        Add(b0, 0x16, 0, Catalog.Mei);
        Add(b0, 0x17, 0, Catalog.Sata);

        // 1c.0: ASPEED AST2500 BMC: PCIe-to-PCI bridge with the boot VGA behind it.
        var rp = Add(b0, 0x1c, 0, Catalog.PchRootPort(1, acs: true, width: 1));
        var ast = Add(rp.Secondary!, 0, 0, Catalog.AstBridge);
        var vga = Add(ast.Secondary!, 0, 0, Catalog.AstVga);
        vga.BootVga = true;
        rp.VgaEnable = ast.VgaEnable = true;
        vga.Label = "ASPEED Video AST2500";
        vga.SmbiosIndex = 1;
        _host.Rmrr.Add(vga);

        // 1c.4 / 1c.5: two onboard I210 ports; 1c.5's root port has no ACS (quirk missing), so
        // the port and its NIC share a group.
        var rp4 = Add(b0, 0x1c, 4, Catalog.PchRootPort(5, acs: true, width: 1));
        var lan1 = Add(rp4.Secondary!, 0, 0, Catalog.I210);
        lan1.Label = "Intel Ethernet I210 #1";
        lan1.SmbiosIndex = 1;
        lan1.NetName = "eno1";
        var rp5 = Add(b0, 0x1c, 5, Catalog.PchRootPort(6, acs: false, width: 1));
        var lan2 = Add(rp5.Secondary!, 0, 0, Catalog.I210);
        lan2.Label = "Intel Ethernet I210 #2";
        lan2.SmbiosIndex = 2;
        lan2.NetName = "eno2";

        // 1c.6: TI XIO2001 PCIe-to-PCI bridge with two conventional PCI cards: one group.
        var rp6 = Add(b0, 0x1c, 6, Catalog.PchRootPort(7, acs: true, width: 1));
        var ti = Add(rp6.Secondary!, 0, 0, Catalog.TiBridge);
        Add(ti.Secondary!, 0x00, 0, Catalog.E1000);
        Add(ti.Secondary!, 0x01, 0, Catalog.Exar);

        // 1d.0: the boot NVMe (root file system on LVM on it).
        var rp9 = Add(b0, 0x1d, 0, Catalog.PchRootPort(9, acs: true, width: 4));
        Add(rp9.Secondary!, 0, 0, Catalog.Pm983);

        // 1f.x: LPC, PMC, SMBus, SPI: multifunction without ACS, one group.
        Add(b0, 0x1f, 0, Catalog.Lpc);
        Add(b0, 0x1f, 2, Catalog.Pmc);
        Add(b0, 0x1f, 4, Catalog.Smbus);
        Add(b0, 0x1f, 5, Catalog.Spi);
        MarkMultifunction(b0);

        // Socket 1, root bus 00 of its own PCI segment: no PCH, just the IIO registers.
        var rc1 = NewRoot(1);
        Add(rc1.Bus, 0x00, 0, Catalog.SklDmi);
        for (int fn = 0; fn < 8; fn++) Add(rc1.Bus, 0x04, fn, Catalog.Cbdma);
        Add(rc1.Bus, 0x05, 0, Catalog.IioVtd);
        Add(rc1.Bus, 0x05, 2, Catalog.IioRas);
        Add(rc1.Bus, 0x05, 4, Catalog.IioApic);
        MarkMultifunction(rc1.Bus);

        // Three PCIe stacks per socket, four x4..x16 root ports each, slots interleaved.
        for (int i = 0; i < 3; i++)
        {
            AddStack(0);
            AddStack(1);
        }

        // Fixed add-in cards in the first slots.
        PlaceSwitchWithGpus(TakeSlot());
        PlaceSingle(TakeSlot(), Catalog.A100, driver: "vfio-pci", overrideVfio: true);
        PlaceSingle(TakeSlot(), Catalog.Sas3008);
        PlaceNic(TakeSlot(), Catalog.I350, 4);
        PlaceSingle(TakeSlot(), Catalog.Pm983, hotplug: true);
        PlaceSingle(TakeSlot(), Catalog.Pm983, hotplug: true);
    }

    private void AddStack(int socket)
    {
        var rc = NewRoot(socket);
        _stacksPerSocket[socket]++;
        for (int letter = 0; letter < 4; letter++)
        {
            var port = Add(rc.Bus, letter, 0, Catalog.StackRootPort(letter));
            port.PhysSlot = ++_host.SlotCount;
            _freeSlots.Add(port);
        }
        Add(rc.Bus, 0x05, 0, Catalog.StackVtd);
        Add(rc.Bus, 0x05, 2, Catalog.StackRas);
        Add(rc.Bus, 0x05, 4, Catalog.StackApic);
        MarkMultifunction(rc.Bus);
    }

    private PciFunction TakeSlot()
    {
        if (_freeSlots.Count == 0)
            AddStack(_stacksPerSocket[0] <= _stacksPerSocket[1] ? 0 : 1);
        var s = _freeSlots[0];
        _freeSlots.RemoveAt(0);
        return s;
    }

    private void PlaceSingle(PciFunction port, Template t, string? driver = "", bool overrideVfio = false, bool hotplug = false)
    {
        var f = Add(port.Secondary!, 0, 0, t, driver);
        if (overrideVfio) f.Override = "vfio-pci";
        port.HotplugSlot = hotplug;
    }

    private void PlaceSwitchWithGpus(PciFunction port)
    {
        // PLX PEX 8747: upstream port, four downstream ports (devices 08, 09, 10, 11).
        var up = Add(port.Secondary!, 0, 0, Catalog.PlxUp);
        int[] dsDev = [0x08, 0x09, 0x10, 0x11];
        var ds = dsDev.Select(d => Add(up.Secondary!, d, 0, Catalog.PlxDown)).ToArray();

        // GPU for passthrough: both functions on vfio-pci through driver_override.
        var g0 = Add(ds[0].Secondary!, 0, 0, Catalog.Rtx3090, "vfio-pci");
        var a0 = Add(ds[0].Secondary!, 0, 1, Catalog.Rtx3090Audio, "vfio-pci");
        g0.Override = a0.Override = "vfio-pci";
        // GPU used by the host.
        var g1 = Add(ds[1].Secondary!, 0, 0, Catalog.Rtx3090);
        Add(ds[1].Secondary!, 0, 1, Catalog.Rtx3090Audio);
        g1.DrmRender = true;
        MarkMultifunction(ds[0].Secondary!);
        MarkMultifunction(ds[1].Secondary!);
        // Two NVMe drives: one for the host, one given to a VM.
        Add(ds[2].Secondary!, 0, 0, Catalog.P3700);
        var n = Add(ds[3].Secondary!, 0, 0, Catalog.P3700, "vfio-pci");
        n.Override = "vfio-pci";
    }

    private List<PciFunction> PlaceNic(PciFunction port, Template t, int ports)
    {
        var bus = port.Secondary!;
        var s = t.Sriov!;
        var pfs = new List<PciFunction>();
        for (int k = 0; k < ports; k++)
        {
            var pf = Add(bus, 0, k, t);
            pf.Port = k;
            pf.PortsOnCard = ports;
            pf.Ari = true;
            if (s.Offset >= 0)
            {
                pf.SriovOffset = s.Offset;
                pf.SriovStride = s.Stride;
            }
            else
            {
                // Pack: PF k's VFs follow PF k-1's (routing ids ports .. ports + k*total - 1).
                pf.SriovOffset = ports + k * s.TotalVfs - k;
                pf.SriovStride = 1;
            }
            pfs.Add(pf);
        }
        if (ports > 1) MarkMultifunction(bus);
        port.AriForwarding = true;
        _cards.Add(pfs);
        return pfs;
    }

    private void AddFillers(int target)
    {
        var rng = _rng.Fork("fillers");
        int totalWeight = Catalog.Fillers.Sum(f => f.Weight);
        while (_nonVf + Capacity() < target)
        {
            int pick = rng.Below(totalWeight);
            var choice = Catalog.Fillers[0];
            foreach (var f in Catalog.Fillers)
            {
                if (pick < f.Weight) { choice = f; break; }
                pick -= f.Weight;
            }
            PlaceNic(TakeSlot(), choice.T, choice.Ports);
        }
    }

    private int Capacity() => _cards.SelectMany(c => c).Sum(pf => pf.T.Sriov!.TotalVfs);

    /// <summary>Pick plausible per-PF VF counts, then adjust so the total is exact.</summary>
    private void ChooseVfCounts(int target)
    {
        var rng = _rng.Fork("vfs");
        var pfs = _cards.SelectMany(c => c).ToList();
        int want = target - _nonVf;
        bool vfioPfUsed = false;
        foreach (var pf in pfs)
        {
            int total = pf.T.Sriov!.TotalVfs;
            int[] choices = [total, total, total, total / 2, Math.Min(16, total), Math.Min(8, total), 0];
            pf.NumVfs = choices[rng.Below(choices.Length)];
            int m = rng.Below(100);
            pf.VfMode = m < 45 ? VfMode.Vfio : m < 70 ? VfMode.Host : VfMode.Unbound;
            if (!vfioPfUsed && pf.T == Catalog.X710 && pf.Port == 0)
            {
                // One PF handed to vfio-pci itself (vfio-pci enable_sriov=1, VFs for a userspace PF driver).
                vfioPfUsed = true;
                pf.VfMode = VfMode.VfioPf;
                pf.Driver = "vfio-pci";
                pf.Override = "vfio-pci";
                _host.VfioEnableSriov = true;
            }
        }
        int sum = pfs.Sum(p => p.NumVfs);
        for (int i = 0; sum < want && i < pfs.Count; i++)
        {
            int add = Math.Min(pfs[i].T.Sriov!.TotalVfs - pfs[i].NumVfs, want - sum);
            pfs[i].NumVfs += add;
            sum += add;
        }
        for (int i = pfs.Count - 1; sum > want && i >= 0; i--)
        {
            int sub = Math.Min(pfs[i].NumVfs, sum - want);
            pfs[i].NumVfs -= sub;
            sum -= sub;
        }
        if (sum != want) throw new InvalidOperationException("internal error: VF capacity");
        foreach (var pf in pfs)
            pf.Autoprobe = pf.VfMode == VfMode.Host || pf.NumVfs == 0;
    }

    // ---------------------------------------------------------------------------------------------
    // Bus numbers (pci_scan_child_bus_extend: the bus, SR-IOV bus reservation, then bridges DFS)

    private static int IovBuses(PciBus bus)
    {
        int extra = 0;
        foreach (var pf in bus.Devices)
        {
            if (pf.T.Sriov is not { } s) continue;
            int last = pf.Devfn + pf.SriovOffset + pf.SriovStride * (s.TotalVfs - 1);
            extra = Math.Max(extra, last >> 8);
        }
        return extra;
    }

    private static int Demand(PciBus bus)
    {
        bus.Devices.Sort((a, b) => a.Devfn.CompareTo(b.Devfn));
        bus.IovBuses = IovBuses(bus);
        int n = 1 + bus.IovBuses;
        foreach (var d in bus.Devices)
            if (d.Secondary is not null) n += Demand(d.Secondary);
        return n;
    }

    private static int Number(PciBus bus, int number)
    {
        bus.Number = number;
        int max = number + bus.IovBuses;
        foreach (var d in bus.Devices)
        {
            if (d.Secondary is null) continue;
            max = Number(d.Secondary, max + 1);
            d.SubordinateNo = max;
        }
        return max;
    }

    private void AssignBusNumbers()
    {
        foreach (var rc in _host.Roots) rc.BusDemand = Demand(rc.Bus);

        // One PCI segment per socket (more if a socket needs more than 256 bus numbers).
        int domain = -1;
        var byDomain = new List<List<RootComplex>>();
        foreach (var socket in new[] { 0, 1 })
        {
            int used = 0;
            bool first = true;
            foreach (var rc in _host.Roots.Where(r => r.Socket == socket))
            {
                if (first || used + rc.BusDemand > 256)
                {
                    domain++;
                    byDomain.Add([]);
                    used = 0;
                    first = false;
                }
                if (rc.BusDemand > 256) throw new InvalidOperationException("a root complex needs more than 256 buses");
                rc.Domain = domain;
                byDomain[domain].Add(rc);
                used += rc.BusDemand;
            }
        }

        // Firmware spreads root buses over the segment (as 00, 17, 3a, 5d, ... on real boards).
        foreach (var rcs in byDomain)
        {
            int spacing = 256 / rcs.Count;
            bool even = rcs.All(r => r.BusDemand <= spacing);
            int next = 0;
            for (int i = 0; i < rcs.Count; i++)
            {
                int start = even ? i * spacing : next;
                next = Number(rcs[i].Bus, start) + 1;
            }
        }

        int dmar = 0;
        foreach (var rc in _host.Roots.OrderBy(r => r.Domain).ThenBy(r => r.Bus.Number))
        {
            rc.Dmar = dmar++;
            rc.GsiBase = rc.Index == 0 ? 16 : 24 + 24 * (rc.Dmar - 1);
        }
    }

    private void CreateVfs()
    {
        foreach (var pf in _cards.SelectMany(c => c))
        {
            var vfT = Catalog.VfOf(pf.T);
            for (int i = 0; i < pf.NumVfs; i++)
            {
                int rid = pf.Devfn + pf.SriovOffset + pf.SriovStride * i;
                int busNo = pf.BusNo + (rid >> 8);
                PciBus bus = pf.Bus;
                if (busNo != pf.BusNo)
                {
                    var parent = pf.Bus;
                    bus = parent.VirtualChildren.FirstOrDefault(b => b.Number == busNo)!;
                    if (bus is null)
                    {
                        bus = new PciBus { Root = parent.Root, Parent = parent, IsVirtual = true, Number = busNo };
                        parent.VirtualChildren.Add(bus);
                    }
                }
                var vf = new PciFunction(vfT, bus, rid & 0xff) { Physfn = pf, VfId = i, Ari = true };
                switch (pf.VfMode)
                {
                    case VfMode.Vfio:
                    case VfMode.VfioPf:
                        vf.Driver = "vfio-pci";
                        vf.Override = "vfio-pci";
                        break;
                    case VfMode.Host:
                        vf.Driver = vfT.Driver;
                        break;
                    default:
                        vf.Driver = null;
                        break;
                }
                pf.Vfs.Add(vf);
            }
        }
    }

    private void OrderFunctions()
    {
        var list = _host.Functions;
        void Walk(PciBus bus)
        {
            list.AddRange(bus.Devices);
            foreach (var d in bus.Devices)
                if (d.Secondary is not null) Walk(d.Secondary);
        }
        foreach (var rc in _host.Roots.OrderBy(r => r.Domain).ThenBy(r => r.Bus.Number)) Walk(rc.Bus);
        var pfs = list.Where(f => f.Vfs.Count > 0).ToList();
        foreach (var pf in pfs) list.AddRange(pf.Vfs);

        foreach (var f in list)
        {
            string parent = f.Upstream?.SysPath ?? $"sys/devices/{f.Bus.Root.DirName}";
            f.SysPath = $"{parent}/{f.Address}";
        }
    }

    // ---------------------------------------------------------------------------------------------
    // IOMMU groups (pci_device_group in drivers/iommu/iommu.c, simplified to this topology)

    /// <summary>The device whose requester ID the function's DMA carries: the topmost
    /// PCIe-to-PCI (or conventional) bridge above it, else the function itself.</summary>
    private static PciFunction DmaAlias(PciFunction f)
    {
        var alias = f;
        for (var p = f.Upstream; p is not null; p = p.Upstream)
            if (p.PcieType is PcieType.PcieToPciBridge or PcieType.None) alias = p;
        return alias;
    }

    /// <summary>pci_acs_path_enabled: every root/downstream port from here up isolates.</summary>
    private static bool AcsPath(PciFunction? p)
    {
        for (; p is not null; p = p.Upstream)
        {
            if ((p.PcieType is PcieType.RootPort or PcieType.DownstreamPort) && !p.T.Acs) return false;
            if (p.PcieType is PcieType.PcieToPciBridge or PcieType.None) return false;
        }
        return true;
    }

    private void AssignGroups()
    {
        var groups = _host.Groups;
        foreach (var f in _host.Functions)
        {
            int g = -1;
            var alias = DmaAlias(f);
            if (alias != f) g = alias.Group;
            if (g < 0)
            {
                var up = alias.Upstream;
                if (up is not null && !AcsPath(up)) g = up.Group;
            }
            if (g < 0 && f.Multifunction && !f.T.Acs && !f.IsVf)
            {
                var peer = f.Bus.Devices.FirstOrDefault(o => o != f && o.Slot == f.Slot && !o.T.Acs && o.Group >= 0);
                if (peer is not null) g = peer.Group;
            }
            if (g < 0)
            {
                g = groups.Count;
                groups.Add([]);
            }
            f.Group = g;
            groups[g].Add(f);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Interrupts, power, names, serial numbers

    private void AssignRuntimeState()
    {
        var rng = _rng.Fork("runtime");
        int vector = 128;
        int ifindex = 2;
        int nvme = 0;
        int ethFallback = 0;

        // Registration order: the boot NVMe on the PCH comes first and becomes nvme0.
        foreach (var f in _host.Functions)
        {
            bool vfio = f.Driver == "vfio-pci";
            bool host = f.Driver is not null && !vfio;
            f.Enabled = host;
            f.Suspended = vfio;
            f.Serial = rng.Next();

            int pin = f.IsVf ? 0 : 1;
            f.Irq = pin == 0 ? 0 : f.Bus.Root.GsiBase + ((f.Slot + f.Func) % 8);
            if (host && f.T.Msix > 0)
            {
                f.MsiX = true;
                int n = Math.Min(f.T.Msix, 65);
                for (int i = 0; i < n; i++) f.MsiVectors.Add(vector++);
            }
            else if (host && f.T.Msi)
            {
                f.MsiVectors.Add(vector++);
                f.Irq = f.MsiVectors[0];
            }

            if (f.T.IsNvme && f.Driver == "nvme")
            {
                f.NvmeIndex = nvme++;
                f.NvmeSerial = $"S4EWNX0R{rng.Below(1_000_000):D6}{(char)('A' + rng.Below(26))}";
                _host.Nvme.Add(f);
            }

            if (f.T.IsVga && f.Driver is "ast" or "nouveau") f.DrmCard = f.BootVga ? 0 : 1;

            bool netDriver = f.T.IsNet && host;
            if (netDriver)
            {
                f.IfIndex = ifindex++;
                f.Mac = MacFor(f, rng);
                if (f.NetName is null)
                {
                    string name = f.IsVf ? $"{f.Physfn!.NetName ?? "eth"}v{f.VfId}" : PathName(f);
                    if (name.Length > 15 || (f.IsVf && f.Physfn!.NetName is null)) name = $"eth{ethFallback++}";
                    f.NetName = name;
                }
                f.NetUp = f.NetName == "eno1" || (!f.IsVf && f.Port == 0 && f.T.Sriov is not null);
                _host.Netdevs.Add(f);
            }
        }
    }

    /// <summary>systemd's ID_NET_NAME_PATH: en[P&lt;domain&gt;]p&lt;bus&gt;s&lt;slot&gt;[f&lt;fn&gt;][np&lt;port&gt;].</summary>
    private static string PathName(PciFunction f)
    {
        string s = "en";
        if (f.Domain > 0) s += $"P{f.Domain}";
        s += $"p{f.BusNo}s{f.Slot}";
        if (f.Multifunction) s += $"f{f.Func}";
        if (f.T.NetPortSuffix) s += $"np{f.Port}";
        return s;
    }

    private static string MacFor(PciFunction f, Prng rng)
    {
        byte[] b = new byte[6];
        if (f.IsVf)
        {
            b[0] = (byte)((rng.Below(64) << 2) | 0x02); // locally administered, unicast
        }
        else
        {
            byte[] oui = f.Vendor == 0x15b3 ? [0x0c, 0x42, 0xa1] : [0x3c, 0xfd, 0xfe];
            oui.CopyTo(b, 0);
        }
        for (int i = f.IsVf ? 1 : 3; i < 6; i++) b[i] = (byte)rng.Below(256);
        return string.Join(':', b.Select(x => x.ToString("x2")));
    }
}

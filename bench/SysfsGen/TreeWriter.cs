using System.Text;

namespace SysfsGen;

/// <summary>
/// Writes a <see cref="Host"/> as the sysfs and procfs files a Linux 6.12 kernel shows:
/// device directories nested as the device tree (bridges contain what is behind them, VFs sit
/// beside their PF), /sys/bus/pci, /sys/kernel/iommu_groups, class directories, modules, and
/// the handful of /proc files a host inspection reads. Formats follow drivers/pci/pci-sysfs.c,
/// drivers/pci/iov.c, drivers/iommu/iommu.c and drivers/pci/pcie/aer.c of Linux 6.12.
/// </summary>
internal sealed class TreeWriter(Host host, Fs fs)
{
    public const string OsRelease = "6.12.57+deb12-amd64";
    public const string Marker = ".sysfsgen";
    private const int NvmeCharMajor = 240;

    private static readonly string[] CorrectableNames = Names(16, (0, "RxErr"), (6, "BadTLP"), (7, "BadDLLP"), (8, "Rollover"), (12, "Timeout"), (13, "NonFatalErr"), (14, "CorrIntErr"), (15, "HeaderOF"));
    private static readonly string[] UncorrectableNames = Names(32, (0, "Undefined"), (4, "DLP"), (5, "SDES"), (12, "TLP"), (13, "FCP"), (14, "CmpltTO"), (15, "CmpltAbrt"), (16, "UnxCmplt"), (17, "RxOF"), (18, "MalfTLP"), (19, "ECRC"), (20, "UnsupReq"), (21, "ACSViol"), (22, "UncorrIntErr"), (23, "BlockedTLP"), (24, "AtomicOpBlocked"), (25, "TLPBlockedErr"), (26, "PoisonTLPBlocked"), (27, "DMWrReqBlocked"), (28, "IDECheck"), (29, "MisIDETLP"), (30, "PCRC_CHECK"), (31, "TLPXlatBlocked"));
    private static readonly string AerCor = AerText(CorrectableNames, "ERR_COR");
    private static readonly string AerFatal = AerText(UncorrectableNames, "ERR_FATAL");
    private static readonly string AerNonFatal = AerText(UncorrectableNames, "ERR_NONFATAL");

    private static string[] Names(int n, params (int Bit, string Name)[] set)
    {
        var a = new string[n];
        foreach (var (bit, name) in set) a[bit] = name;
        return a;
    }

    private static string AerText(string[] names, string total)
    {
        var sb = new StringBuilder();
        foreach (var n in names)
            if (n is not null) sb.Append(n).Append(" 0\n");
        return sb.Append("TOTAL_").Append(total).Append(" 0\n").ToString();
    }

    private static string LocalCpus(int node) => node == 0 ? "0000ffff,0000ffff\n" : "ffff0000,ffff0000\n";
    private static string LocalCpuList(int node) => node == 0 ? "0-15,32-47\n" : "16-31,48-63\n";

    private static string SpeedString(int code) => code switch
    {
        1 => "2.5 GT/s PCIe",
        2 => "5.0 GT/s PCIe",
        3 => "8.0 GT/s PCIe",
        4 => "16.0 GT/s PCIe",
        5 => "32.0 GT/s PCIe",
        _ => "Unknown",
    };

    public void Write()
    {
        // The marker goes first, so a half-written tree can still be replaced by the next run.
        fs.Text(Marker, $"seed={host.Seed}\nfunctions={host.Functions.Count}\nosrelease={OsRelease}\n", Fs.RW);
        fs.Dir("sys/devices/virtual");
        foreach (var rc in host.Roots) WriteRootBus(rc);

        // Parents before children: Functions lists bridges before what is behind them.
        foreach (var f in host.Functions) fs.Dir(f.SysPath);
        Parallel.ForEach(host.Functions, WriteDevice);

        WriteBusPci();
        WriteDrivers();
        WritePortServices();
        Parallel.For(0, host.Groups.Count, WriteGroup);
        WriteIommus();
        WriteNet();
        WriteBlock();
        WriteDrm();
        WriteModules();
        WriteProc();
    }

    private void Power(string dir, bool suspended, bool allowed)
    {
        fs.Dir($"{dir}/power");
        fs.Text($"{dir}/power/async", "enabled\n", Fs.RW);
        fs.Text($"{dir}/power/control", allowed ? "auto\n" : "on\n", Fs.RW);
        fs.Text($"{dir}/power/runtime_active_kids", "0\n");
        fs.Text($"{dir}/power/runtime_active_time", suspended ? "1042\n" : "3866174\n");
        fs.Text($"{dir}/power/runtime_enabled", allowed ? "enabled\n" : "forbidden\n");
        fs.Text($"{dir}/power/runtime_status", suspended ? "suspended\n" : "active\n");
        fs.Text($"{dir}/power/runtime_suspended_time", suspended ? "3865132\n" : "0\n");
        fs.Text($"{dir}/power/runtime_usage", suspended ? "0\n" : "1\n");
    }

    private void PciBusDir(string parentDir, PciBus bus, string deviceTarget)
    {
        string d = $"{parentDir}/pci_bus/{bus.Name}";
        fs.Dir(d);
        fs.Text($"{d}/cpuaffinity", LocalCpus(bus.Root.Numa));
        fs.Text($"{d}/cpulistaffinity", LocalCpuList(bus.Root.Numa));
        fs.Text($"{d}/rescan", "", Fs.WO);
        fs.Text($"{d}/uevent", "", Fs.RW);
        fs.Link($"{d}/device", deviceTarget);
        fs.Link($"{d}/subsystem", "sys/class/pci_bus");
        Power(d, false, false);
    }

    private void WriteRootBus(RootComplex rc)
    {
        string d = $"sys/devices/{rc.DirName}";
        fs.Dir(d);
        fs.Text($"{d}/uevent", "", Fs.RW);
        fs.Text($"{d}/waiting_for_supplier", "0\n");
        Power(d, false, false);
        PciBusDir(d, rc.Bus, d);
    }

    private void WriteDevice(PciFunction f)
    {
        var t = f.T;
        string d = f.SysPath;
        int numa = f.Bus.Root.Numa;
        bool bound = f.Driver is not null;
        bool vfio = f.Driver == "vfio-pci";

        fs.Text($"{d}/vendor", $"0x{f.Vendor:x4}\n");
        fs.Text($"{d}/device", $"0x{f.Device:x4}\n");
        fs.Text($"{d}/subsystem_vendor", $"0x{t.SubVendor:x4}\n");
        fs.Text($"{d}/subsystem_device", $"0x{t.SubDevice:x4}\n");
        fs.Text($"{d}/class", $"0x{t.Class:x6}\n");
        fs.Text($"{d}/revision", $"0x{t.Revision:x2}\n");
        fs.Bytes($"{d}/config", ConfigSpace.Build(f), Fs.RW);
        fs.Text($"{d}/resource", ResourceText(f));
        fs.Text($"{d}/irq", $"{f.Irq}\n");
        fs.Text($"{d}/local_cpus", LocalCpus(numa));
        fs.Text($"{d}/local_cpulist", LocalCpuList(numa));
        fs.Text($"{d}/modalias", Modalias(f) + "\n");
        fs.Text($"{d}/numa_node", $"{numa}\n", Fs.RW);
        fs.Text($"{d}/dma_mask_bits", f.Enabled ? "64\n" : "32\n");
        fs.Text($"{d}/consistent_dma_mask_bits", f.Enabled ? "64\n" : "32\n");
        fs.Text($"{d}/enable", f.Enabled ? "1\n" : "0\n", Fs.RW);
        fs.Text($"{d}/broken_parity_status", "0\n", Fs.RW);
        fs.Text($"{d}/msi_bus", "1\n", Fs.RW);
        fs.Text($"{d}/d3cold_allowed", "1\n", Fs.RW);
        fs.Text($"{d}/ari_enabled", AriEnabled(f) ? "1\n" : "0\n");
        fs.Text($"{d}/power_state", f.Suspended && !f.IsVf ? "D3hot\n" : "D0\n");
        fs.Text($"{d}/driver_override", (f.Override ?? "(null)") + "\n", Fs.RW);
        fs.Text($"{d}/uevent", Uevent(f), Fs.RW);
        fs.Text($"{d}/waiting_for_supplier", "0\n");
        if (!f.IsVf)
        {
            fs.Text($"{d}/remove", "", Fs.WO);
            fs.Text($"{d}/rescan", "", Fs.WO);
        }
        if (t.Reset is not null)
        {
            fs.Text($"{d}/reset", "", Fs.WO);
            fs.Text($"{d}/reset_method", t.Reset + "\n", Fs.RW);
        }
        if (t.IsVga) fs.Text($"{d}/boot_vga", f.BootVga ? "1\n" : "0\n");
        if (f.Label is not null)
        {
            fs.Text($"{d}/label", f.Label + "\n");
            fs.Text($"{d}/index", $"{f.SmbiosIndex}\n");
        }

        // BARs and ROM as binary attributes (pci_create_resource_files, pci_dev_rom_attr).
        for (int i = 0; i < 6; i++)
        {
            var r = f.R[i];
            if (!r.IsSet) continue;
            long size = (long)(r.End - r.Start + 1);
            fs.Sparse($"{d}/resource{i}", size);
            if ((r.Flags & ResourceAllocator.IORESOURCE_PREFETCH) != 0) fs.Sparse($"{d}/resource{i}_wc", size);
        }
        if (f.R[6].IsSet) fs.Sparse($"{d}/rom", (long)(f.R[6].End - f.R[6].Start + 1));

        if (t.IsPcie)
        {
            var (speed, width) = ConfigSpace.NegotiatedLink(f);
            bool hasLink = !f.IsVf && t.Pcie != PcieType.RcIntegrated;
            fs.Text($"{d}/current_link_speed", SpeedString(hasLink ? speed : 0) + "\n");
            fs.Text($"{d}/current_link_width", $"{(hasLink ? width : 0)}\n");
            fs.Text($"{d}/max_link_speed", SpeedString(hasLink ? t.LinkSpeed : 0) + "\n");
            fs.Text($"{d}/max_link_width", $"{(hasLink ? t.LinkWidth : 0)}\n");
        }
        if (t.IsPcie && t.Aer && !f.IsVf)
        {
            fs.Text($"{d}/aer_dev_correctable", AerCor);
            fs.Text($"{d}/aer_dev_fatal", AerFatal);
            fs.Text($"{d}/aer_dev_nonfatal", AerNonFatal);
            if (t.Pcie == PcieType.RootPort)
            {
                fs.Text($"{d}/aer_rootport_total_err_cor", "0\n");
                fs.Text($"{d}/aer_rootport_total_err_fatal", "0\n");
                fs.Text($"{d}/aer_rootport_total_err_nonfatal", "0\n");
            }
        }

        if (f.IsBridge)
        {
            fs.Text($"{d}/secondary_bus_number", $"{f.Secondary!.Number}\n");
            fs.Text($"{d}/subordinate_bus_number", $"{f.SubordinateNo}\n");
            fs.Text($"{d}/reset_subordinate", "", Fs.WO);
            PciBusDir(d, f.Secondary, d);
            // Buses created for VFs past the PF's bus hang off the same bridge (virtfn_add_bus).
            foreach (var vb in f.Secondary.VirtualChildren) PciBusDir(d, vb, d);
        }

        if (f.IsPf)
        {
            var s = t.Sriov!;
            fs.Text($"{d}/sriov_totalvfs", $"{s.TotalVfs}\n");
            fs.Text($"{d}/sriov_numvfs", $"{f.NumVfs}\n", Fs.RW);
            fs.Text($"{d}/sriov_offset", $"{f.SriovOffset}\n");
            fs.Text($"{d}/sriov_stride", $"{f.SriovStride}\n");
            fs.Text($"{d}/sriov_vf_device", $"{s.VfDevice:x}\n");
            fs.Text($"{d}/sriov_drivers_autoprobe", f.Autoprobe ? "1\n" : "0\n", Fs.RW);
            fs.Text($"{d}/sriov_vf_total_msix", $"{(f.Driver == t.Driver ? s.VfTotalMsix : 0)}\n");
            foreach (var vf in f.Vfs) fs.Link($"{d}/virtfn{vf.VfId}", vf.SysPath);
        }
        if (f.IsVf)
        {
            fs.Text($"{d}/sriov_vf_msix_count", "", Fs.WO);
            fs.Link($"{d}/physfn", f.Physfn!.SysPath);
        }

        fs.Link($"{d}/subsystem", "sys/bus/pci");
        if (bound) fs.Link($"{d}/driver", $"sys/bus/pci/drivers/{f.Driver}");
        fs.Link($"{d}/iommu_group", $"sys/kernel/iommu_groups/{f.Group}");
        fs.Link($"{d}/iommu", $"sys/devices/virtual/iommu/dmar{f.Bus.Root.Dmar}");

        Power(d, f.Suspended, vfio);
        if (f.MsiVectors.Count > 0)
        {
            fs.Dir($"{d}/msi_irqs");
            string mode = f.MsiX ? "msix\n" : "msi\n";
            foreach (int v in f.MsiVectors) fs.Text($"{d}/msi_irqs/{v}", mode);
        }

        if (f.NetName is not null && f.IfIndex > 0) WriteNetdev(f);
        if (f.NvmeIndex >= 0) WriteNvmeController(f);
        if (f.DrmCard >= 0)
        {
            WriteDrmMinor(f, $"card{f.DrmCard}", f.DrmCard);
            if (f.DrmRender) WriteDrmMinor(f, "renderD128", 128);
        }
    }

    private static bool AriEnabled(PciFunction f) => f.Bus.Self is { } self && self.AriForwarding;

    private static string Modalias(PciFunction f)
    {
        var t = f.T;
        return $"pci:v{f.Vendor:X8}d{f.Device:X8}sv{t.SubVendor:X8}sd{t.SubDevice:X8}bc{(t.Class >> 16) & 0xff:X2}sc{(t.Class >> 8) & 0xff:X2}i{t.Class & 0xff:X2}";
    }

    private static string Uevent(PciFunction f)
    {
        var t = f.T;
        var sb = new StringBuilder();
        if (f.Driver is not null) sb.Append("DRIVER=").Append(f.Driver).Append('\n');
        sb.Append($"PCI_CLASS={t.Class:X4}\n");
        sb.Append($"PCI_ID={f.Vendor:X4}:{f.Device:X4}\n");
        sb.Append($"PCI_SUBSYS_ID={t.SubVendor:X4}:{t.SubDevice:X4}\n");
        sb.Append($"PCI_SLOT_NAME={f.Address}\n");
        sb.Append($"MODALIAS={Modalias(f)}\n");
        return sb.ToString();
    }

    /// <summary>resource_show: 13 lines (BARs, ROM, SR-IOV BARs) or 17 with bridge windows.</summary>
    private static string ResourceText(PciFunction f)
    {
        int lines = f.IsBridge ? 17 : 13;
        var sb = new StringBuilder(lines * 57);
        for (int i = 0; i < lines; i++)
        {
            var r = f.R[i];
            if (!r.IsSet) r = default;
            sb.Append($"0x{r.Start:x16} 0x{r.End:x16} 0x{r.Flags:x16}\n");
        }
        return sb.ToString();
    }

    // ---------------------------------------------------------------------------------------------

    private void WriteBusPci()
    {
        const string b = "sys/bus/pci";
        fs.Dir($"{b}/devices");
        fs.Dir($"{b}/drivers");
        fs.Dir($"{b}/slots");
        fs.Text($"{b}/drivers_autoprobe", "1\n", Fs.RW);
        fs.Text($"{b}/drivers_probe", "", Fs.WO);
        fs.Text($"{b}/rescan", "", Fs.WO);
        fs.Text($"{b}/resource_alignment", "\n", Fs.RW);
        fs.Text($"{b}/uevent", "", Fs.WO);
        foreach (var f in host.Functions) fs.Link($"{b}/devices/{f.Address}", f.SysPath);

        foreach (var port in host.Functions.Where(f => f.PhysSlot > 0).OrderBy(f => f.PhysSlot))
        {
            string s = $"{b}/slots/{port.PhysSlot}";
            fs.Dir(s);
            fs.Text($"{s}/address", $"{port.Domain:x4}:{port.Secondary!.Number:x2}:00\n");
            var (speed, _) = ConfigSpace.NegotiatedLink(port);
            fs.Text($"{s}/cur_bus_speed", SpeedString(speed) + "\n");
            fs.Text($"{s}/max_bus_speed", SpeedString(port.T.LinkSpeed) + "\n");
        }
    }

    private void WriteDrivers()
    {
        foreach (var g in host.Functions.Where(f => f.Driver is not null).GroupBy(f => f.Driver!).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string d = $"sys/bus/pci/drivers/{g.Key}";
            fs.Dir(d);
            foreach (var n in new[] { "bind", "unbind", "new_id", "remove_id", "uevent" }) fs.Text($"{d}/{n}", "", Fs.WO);
            if (Catalog.Modules.TryGetValue(g.Key, out var module) && module is not null)
                fs.Link($"{d}/module", $"sys/module/{module}");
            foreach (var f in g) fs.Link($"{d}/{f.Address}", f.SysPath);
        }
    }

    private static readonly (int Service, string Driver)[] PortServices = [(0x001, "pcie_pme"), (0x002, "aer"), (0x004, "pciehp")];

    private void WritePortServices()
    {
        const string b = "sys/bus/pci_express";
        fs.Dir($"{b}/devices");
        fs.Text($"{b}/drivers_autoprobe", "1\n", Fs.RW);
        fs.Text($"{b}/drivers_probe", "", Fs.WO);
        fs.Text($"{b}/uevent", "", Fs.WO);
        foreach (var (_, drv) in PortServices)
        {
            fs.Dir($"{b}/drivers/{drv}");
            foreach (var n in new[] { "bind", "unbind", "uevent" }) fs.Text($"{b}/drivers/{drv}/{n}", "", Fs.WO);
        }
        // portdrv.c: "%s:pcie%03x", ((type - 4) << 8) | service; root ports get PME and AER, hot-plug slots pciehp.
        foreach (var port in host.Functions.Where(f => f.PcieType == PcieType.RootPort && f.Driver == "pcieport"))
        {
            foreach (var (service, drv) in PortServices)
            {
                if (service == 0x004 && !port.HotplugSlot) continue;
                string name = $"{port.Address}:pcie{service:x3}";
                string d = $"{port.SysPath}/{name}";
                fs.Dir(d);
                fs.Text($"{d}/uevent", $"DRIVER={drv}\n", Fs.RW);
                fs.Link($"{d}/subsystem", b);
                fs.Link($"{d}/driver", $"{b}/drivers/{drv}");
                Power(d, false, false);
                fs.Link($"{b}/devices/{name}", d);
                fs.Link($"{b}/drivers/{drv}/{name}", d);
            }
        }
    }

    private void WriteGroup(int g)
    {
        string d = $"sys/kernel/iommu_groups/{g}";
        fs.Dir($"{d}/devices");
        var members = host.Groups[g];
        foreach (var f in members) fs.Link($"{d}/devices/{f.Address}", f.SysPath);
        fs.Text($"{d}/type", "DMA-FQ\n");
        string regions = "";
        if (members.Any(host.Rmrr.Contains)) regions += "0x000000006c0d8000 0x000000006c0f7fff direct-relaxable\n";
        regions += "0x00000000fee00000 0x00000000feefffff msi\n";
        fs.Text($"{d}/reserved_regions", regions);
    }

    private void WriteIommus()
    {
        fs.Dir("sys/class/iommu");
        fs.Dir("sys/class/pci_bus");
        foreach (var rc in host.Roots.OrderBy(r => r.Dmar))
        {
            string d = $"sys/devices/virtual/iommu/dmar{rc.Dmar}";
            fs.Dir($"{d}/devices");
            fs.Dir($"{d}/intel-iommu");
            fs.Text($"{d}/intel-iommu/address", $"{0xc5ffc000UL - (ulong)rc.Dmar * 0x02000000UL:x}\n");
            fs.Text($"{d}/intel-iommu/cap", "8d2078c106f0466\n");
            fs.Text($"{d}/intel-iommu/ecap", "f020df\n");
            fs.Text($"{d}/intel-iommu/version", "1:0\n");
            fs.Text($"{d}/intel-iommu/domains_supported", "65536\n");
            int used = host.Functions.Where(f => f.Bus.Root == rc).Select(f => f.Group).Distinct().Count();
            fs.Text($"{d}/intel-iommu/domains_used", $"{used}\n");
            fs.Text($"{d}/uevent", "", Fs.RW);
            fs.Link($"{d}/subsystem", "sys/class/iommu");
            Power(d, false, false);
            foreach (var f in host.Functions.Where(f => f.Bus.Root == rc)) fs.Link($"{d}/devices/{f.Address}", f.SysPath);
            fs.Link($"sys/class/iommu/dmar{rc.Dmar}", d);
        }
        foreach (var rc in host.Roots)
        {
            fs.Link($"sys/class/pci_bus/{rc.Bus.Name}", $"sys/devices/{rc.DirName}/pci_bus/{rc.Bus.Name}");
        }
        foreach (var f in host.Functions.Where(f => f.IsBridge))
        {
            fs.Link($"sys/class/pci_bus/{f.Secondary!.Name}", $"{f.SysPath}/pci_bus/{f.Secondary.Name}");
            foreach (var vb in f.Secondary.VirtualChildren)
                fs.Link($"sys/class/pci_bus/{vb.Name}", $"{f.SysPath}/pci_bus/{vb.Name}");
        }
    }

    // --- net ------------------------------------------------------------------------------------

    private void NetFiles(string d, string name, string mac, int ifindex, bool up, int type, int mtu, string operstate)
    {
        fs.Dir(d);
        fs.Text($"{d}/addr_assign_type", "0\n");
        fs.Text($"{d}/addr_len", "6\n");
        fs.Text($"{d}/address", mac + "\n");
        fs.Text($"{d}/broadcast", type == 1 ? "ff:ff:ff:ff:ff:ff\n" : "00:00:00:00:00:00\n");
        fs.Text($"{d}/dev_id", "0x0\n");
        fs.Text($"{d}/dev_port", "0\n");
        fs.Text($"{d}/flags", up ? (type == 1 ? "0x1003\n" : "0x9\n") : "0x1002\n", Fs.RW);
        fs.Text($"{d}/ifindex", $"{ifindex}\n");
        fs.Text($"{d}/iflink", $"{ifindex}\n");
        fs.Text($"{d}/mtu", $"{mtu}\n", Fs.RW);
        fs.Text($"{d}/operstate", operstate + "\n");
        fs.Text($"{d}/tx_queue_len", "1000\n", Fs.RW);
        fs.Text($"{d}/type", $"{type}\n");
        fs.Text($"{d}/uevent", $"INTERFACE={name}\nIFINDEX={ifindex}\n", Fs.RW);
        fs.Link($"{d}/subsystem", "sys/class/net");
    }

    private void WriteNetdev(PciFunction f)
    {
        string d = $"{f.SysPath}/net/{f.NetName}";
        fs.Dir($"{f.SysPath}/net");
        NetFiles(d, f.NetName!, f.Mac!, f.IfIndex, f.NetUp, 1, 1500, f.NetUp ? "up" : "down");
        fs.Link($"{d}/device", f.SysPath);
    }

    private void WriteNet()
    {
        fs.Dir("sys/class/net");
        NetFiles("sys/devices/virtual/net/lo", "lo", "00:00:00:00:00:00", 1, true, 772, 65536, "unknown");
        fs.Link("sys/class/net/lo", "sys/devices/virtual/net/lo");
        foreach (var f in host.Netdevs) fs.Link($"sys/class/net/{f.NetName}", $"{f.SysPath}/net/{f.NetName}");
    }

    // --- nvme and block -------------------------------------------------------------------------

    private static string CtrlDir(PciFunction f) => $"{f.SysPath}/nvme/nvme{f.NvmeIndex}";
    private static string NsDir(PciFunction f) => $"{CtrlDir(f)}/nvme{f.NvmeIndex}n1";

    /// <summary>259:minor numbers in probe order: each namespace, then its partitions.</summary>
    private IEnumerable<(PciFunction F, int Part, int Minor)> BlockMinors()
    {
        int minor = 0;
        foreach (var f in host.Nvme)
        {
            yield return (f, 0, minor++);
            if (f.NvmeIndex == 0)
                for (int p = 1; p <= 3; p++) yield return (f, p, minor++);
        }
    }

    private static readonly (ulong Start, ulong Size)[] BootParts = [(2048, 1048576), (1050624, 2097152), (3147776, 1950375936)];

    private void WriteNvmeController(PciFunction f)
    {
        string c = CtrlDir(f);
        fs.Dir(c);
        var t = f.T;
        fs.Text($"{c}/address", f.Address + "\n");
        fs.Text($"{c}/cntlid", "1\n");
        fs.Text($"{c}/dev", $"{NvmeCharMajor}:{f.NvmeIndex}\n");
        fs.Text($"{c}/firmware_rev", (t.Vendor == 0x144d ? "2B2QEXM7" : "8DV101H0") + "\n");
        fs.Text($"{c}/model", t.Model + "\n");
        fs.Text($"{c}/numa_node", $"{f.Bus.Root.Numa}\n");
        fs.Text($"{c}/queue_count", "65\n");
        fs.Text($"{c}/serial", f.NvmeSerial + "\n");
        fs.Text($"{c}/sqsize", "1023\n");
        fs.Text($"{c}/state", "live\n");
        fs.Text($"{c}/subsysnqn", $"nqn.2014.08.org.nvmexpress:{t.Vendor:x4}{t.SubVendor:x4}{f.NvmeSerial}{t.Model}\n");
        fs.Text($"{c}/transport", "pcie\n");
        fs.Text($"{c}/uevent", $"MAJOR={NvmeCharMajor}\nMINOR={f.NvmeIndex}\nDEVNAME=nvme{f.NvmeIndex}\nNVME_TRTYPE=pcie\n", Fs.RW);
        fs.Link($"{c}/device", f.SysPath);
        fs.Link($"{c}/subsystem", "sys/class/nvme");
        Power(c, false, false);
    }

    private void BlockFiles(string d, string name, int major, int minor, ulong sectors, int part, ulong start)
    {
        fs.Dir(d);
        fs.Dir($"{d}/holders");
        fs.Text($"{d}/dev", $"{major}:{minor}\n");
        fs.Text($"{d}/size", $"{sectors}\n");
        fs.Text($"{d}/ro", "0\n");
        fs.Text($"{d}/stat", "    1024        0    65536      120        0        0        0        0        0      210      120        0        0        0        0        0        0\n");
        fs.Link($"{d}/subsystem", "sys/class/block");
        if (part == 0)
        {
            fs.Dir($"{d}/slaves");
            fs.Text($"{d}/removable", "0\n");
            fs.Text($"{d}/range", "0\n");
            fs.Text($"{d}/ext_range", "256\n");
            fs.Text($"{d}/uevent", $"MAJOR={major}\nMINOR={minor}\nDEVNAME={name}\nDEVTYPE=disk\nDISKSEQ={minor + 1}\n", Fs.RW);
        }
        else
        {
            fs.Text($"{d}/partition", $"{part}\n");
            fs.Text($"{d}/start", $"{start}\n");
            fs.Text($"{d}/uevent", $"MAJOR={major}\nMINOR={minor}\nDEVNAME={name}\nDEVTYPE=partition\nPARTN={part}\n", Fs.RW);
        }
    }

    private void WriteBlock()
    {
        fs.Dir("sys/class/block");
        fs.Dir("sys/class/nvme");
        fs.Dir("sys/block");
        string? rootPart = null;
        foreach (var (f, part, minor) in BlockMinors())
        {
            string ns = NsDir(f);
            string name = $"nvme{f.NvmeIndex}n1" + (part > 0 ? $"p{part}" : "");
            if (part == 0)
            {
                BlockFiles(ns, name, 259, minor, f.T.Sectors, 0, 0);
                fs.Text($"{ns}/nsid", "1\n");
                fs.Text($"{ns}/wwid", $"eui.{f.Serial:x16}\n");
                fs.Link($"{ns}/device", CtrlDir(f));
                fs.Link($"sys/class/block/{name}", ns);
                fs.Link($"sys/block/{name}", ns);
                fs.Link($"sys/class/nvme/nvme{f.NvmeIndex}", CtrlDir(f));
            }
            else
            {
                string pd = $"{ns}/{name}";
                var (start, size) = BootParts[part - 1];
                BlockFiles(pd, name, 259, minor, size, part, start);
                fs.Link($"sys/class/block/{name}", pd);
                if (part == 3) rootPart = pd;
            }
        }

        // LVM root volume on the boot disk's third partition: a holder, as vfioctl must notice.
        if (rootPart is not null)
        {
            const string dm = "sys/devices/virtual/block/dm-0";
            BlockFiles(dm, "dm-0", 254, 0, 1950367744, 0, 0);
            fs.Dir($"{dm}/dm");
            fs.Text($"{dm}/dm/name", "vg0-root\n");
            fs.Text($"{dm}/dm/uuid", "LVM-Vq3YH0pX1dd2Xf4bM8kQZJw5WcT6sN7aYp0eRrLw2Kj9Hq1Uv3Xz5Cb7Dn9Fg2Ai\n");
            fs.Text($"{dm}/dm/suspended", "0\n");
            fs.Link($"{dm}/slaves/{Path.GetFileName(rootPart)}", rootPart);
            fs.Link($"{rootPart}/holders/dm-0", dm);
            fs.Link("sys/class/block/dm-0", dm);
            fs.Link("sys/block/dm-0", dm);
        }
    }

    // --- drm ------------------------------------------------------------------------------------

    private void WriteDrmMinor(PciFunction f, string name, int minor)
    {
        string d = $"{f.SysPath}/drm/{name}";
        fs.Dir(d);
        fs.Text($"{d}/dev", $"226:{minor}\n");
        fs.Text($"{d}/uevent", $"MAJOR=226\nMINOR={minor}\nDEVNAME=dri/{name}\nDEVTYPE=drm_minor\n", Fs.RW);
        fs.Link($"{d}/device", f.SysPath);
        fs.Link($"{d}/subsystem", "sys/class/drm");
        Power(d, false, false);
    }

    private void WriteDrm()
    {
        fs.Dir("sys/class/drm");
        fs.Text("sys/class/drm/version", "drm 1.1.0 20060810\n");
        foreach (var f in host.Functions.Where(f => f.DrmCard >= 0))
        {
            fs.Link($"sys/class/drm/card{f.DrmCard}", $"{f.SysPath}/drm/card{f.DrmCard}");
            if (f.DrmRender) fs.Link("sys/class/drm/renderD128", $"{f.SysPath}/drm/renderD128");
        }
    }

    // --- modules --------------------------------------------------------------------------------

    private void WriteModules()
    {
        var used = host.Functions.Where(f => f.Driver is not null).GroupBy(f => f.Driver!);
        var modules = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var g in used)
        {
            if (!Catalog.Modules.TryGetValue(g.Key, out var m) || m is null) continue;
            if (!modules.TryGetValue(m, out var l)) modules[m] = l = [];
            l.Add(g.Key);
        }
        foreach (var extra in new[] { "vfio", "vfio_iommu_type1", "vfio_pci_core" })
            modules.TryAdd(extra, []);
        foreach (var (m, drivers) in modules)
        {
            string d = $"sys/module/{m}";
            fs.Dir($"{d}/holders");
            fs.Text($"{d}/initstate", "live\n");
            fs.Text($"{d}/refcnt", "0\n");
            fs.Text($"{d}/uevent", "", Fs.WO);
            if (drivers.Count > 0) fs.Dir($"{d}/drivers");
            foreach (var drv in drivers) fs.Link($"{d}/drivers/pci:{drv}", $"sys/bus/pci/drivers/{drv}");
        }
        if (modules.ContainsKey("vfio_pci"))
        {
            const string p = "sys/module/vfio_pci/parameters";
            fs.Dir(p);
            fs.Text($"{p}/disable_denylist", "N\n");
            fs.Text($"{p}/disable_idle_d3", "N\n", Fs.RW);
            fs.Text($"{p}/disable_vga", "N\n");
            fs.Text($"{p}/enable_sriov", host.VfioEnableSriov ? "Y\n" : "N\n", Fs.RW);
            fs.Text($"{p}/nointxmask", "N\n", Fs.RW);
            fs.Text($"{p}/ids", "\n");
        }
    }

    // --- proc -----------------------------------------------------------------------------------

    private void WriteProc()
    {
        fs.Dir("proc/sys/kernel");
        fs.Dir("proc/net");
        fs.Text("proc/sys/kernel/osrelease", OsRelease + "\n");
        fs.Text("proc/cmdline", $"BOOT_IMAGE=/vmlinuz-{OsRelease} root=/dev/mapper/vg0-root ro quiet intel_iommu=on\n");
        fs.Text("proc/mounts",
            "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n" +
            "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n" +
            "udev /dev devtmpfs rw,nosuid,relatime,size=131890412k,nr_inodes=32972603,mode=755,inode64 0 0\n" +
            "/dev/mapper/vg0-root / ext4 rw,relatime,errors=remount-ro 0 0\n" +
            "/dev/nvme0n1p2 /boot ext4 rw,relatime 0 0\n" +
            "/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro 0 0\n");
        fs.Text("proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
        // fib_route_seq_show: the header is padded to 127 characters.
        fs.Text("proc/net/route", $"{"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",-127}\n");
        fs.Text("proc/net/if_inet6", "");
    }
}

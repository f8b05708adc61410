using System.Collections.Immutable;
using System.Globalization;
using Vfio.Host.Model;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>
/// Reads <see cref="HostSupport"/>: ACPI tables, <c>/proc/interrupts</c>, module parameters (sysfs,
/// the command line, modprobe.d), <c>modules.dep</c>/<c>modules.builtin</c>, device nodes,
/// <c>/proc/self/limits</c> and huge page pools. Never throws for what it cannot read.
/// </summary>
public static class HostSupportReader
{
    /// <summary>The modules the doctor reports, with '_' as the kernel spells them.</summary>
    public static readonly ImmutableArray<string> ModulesOfInterest = ["vfio", "vfio_pci", "vfio_iommu_type1", "iommufd", "pci_stub", "kvm"];

    private static readonly string[] ModprobeDirs = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d"];

    public static HostSupport Read(HostFiles files, string? kernelRelease, string? commandLine)
    {
        var tables = files.DirectoryExists("/sys/firmware/acpi/tables") ? files.List("/sys/firmware/acpi/tables") : null;
        var (remapping, chips) = ReadInterrupts(files);
        var modprobe = ReadModprobeOptions(files);
        return new HostSupport
        {
            AcpiTablesReadable = tables is not null,
            IommuTables = [.. (tables ?? []).Where(t => t is "DMAR" or "IVRS").Order(StringComparer.Ordinal)],
            InterruptRemapping = remapping,
            InterruptChips = chips,
            Type1AllowUnsafeInterrupts = Parameter(files, "vfio_iommu_type1", "allow_unsafe_interrupts", commandLine, modprobe),
            IommufdAllowUnsafeInterrupts = Parameter(files, "iommufd", "allow_unsafe_interrupts", commandLine, modprobe),
            Modules = ReadModules(files, kernelRelease),
            ContainerNode = files.Exists("/dev/vfio/vfio"),
            Kvm = files.Exists("/dev/kvm"),
            EffectiveUid = ReadEffectiveUid(files),
            MemlockBytes = ReadMemlock(files),
            HugePages = ReadHugePages(files),
        };
    }

    /// <summary>
    /// Decides interrupt remapping from the chip column of <c>/proc/interrupts</c>: the x86 MSI and
    /// IO-APIC domains are named with an <c>IR-</c> prefix when they sit on the remapping domain.
    /// </summary>
    public static (InterruptRemapping State, ImmutableArray<string> Chips) ParseInterrupts(TextReader reader)
    {
        var remapped = new SortedSet<string>(StringComparer.Ordinal);
        var plain = new SortedSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            foreach (var token in line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                var chip = ChipName(token);
                if (chip.StartsWith("IR-", StringComparison.Ordinal)) remapped.Add(chip);
                else if (chip is "PCI-MSI" or "PCI-MSIX" or "IO-APIC") plain.Add(chip);
            }
        }
        if (remapped.Count > 0) return (InterruptRemapping.Active, [.. remapped]);
        if (plain.Count > 0) return (InterruptRemapping.Inactive, [.. plain]);
        return (InterruptRemapping.Unknown, []);
    }

    /// <summary>"IR-PCI-MSIX-0000:01:00.0" is the chip "IR-PCI-MSIX" of one device (6.x names the device; older kernels do not).</summary>
    private static string ChipName(string token)
    {
        int dev = token.IndexOf("-0000:", StringComparison.Ordinal);
        if (dev < 0)
        {
            // Other PCI domains: the device suffix is "-DDDD:BB:DD.F".
            int colon = token.IndexOf(':');
            int dash = colon > 0 ? token.LastIndexOf('-', colon) : -1;
            dev = dash > 0 && colon - dash == 5 ? dash : -1;
        }
        var chip = dev > 0 ? token[..dev] : token;
        return chip is "IR-PCI-MSI" or "IR-PCI-MSIX" or "IR-IO-APIC" or "PCI-MSI" or "PCI-MSIX" or "IO-APIC" ? chip : "";
    }

    private static (InterruptRemapping, ImmutableArray<string>) ReadInterrupts(HostFiles files)
    {
        using var reader = files.OpenText("/proc/interrupts");
        return reader is null ? (InterruptRemapping.Unknown, []) : ParseInterrupts(reader);
    }

    /// <summary>
    /// A boolean module parameter: its sysfs value when the module is loaded; otherwise what the
    /// next load would get (the command line's <c>module.param=</c>, then a modprobe.d
    /// <c>options</c> line); null when set nowhere.
    /// </summary>
    private static bool? Parameter(HostFiles files, string module, string name, string? commandLine, IReadOnlyList<(string Module, string Name, string Value)> modprobe)
    {
        if (files.ReadAttribute($"/sys/module/{module}/parameters/{name}") is { } live) return Bool(live);
        foreach (var arg in (commandLine ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Reverse())
        {
            int eq = arg.IndexOf('=');
            if (eq > 0 && arg[..eq].Replace('-', '_') == $"{module}.{name}") return Bool(arg[(eq + 1)..]);
        }
        foreach (var (m, n, v) in modprobe)
            if (m == module && n == name) return Bool(v);
        return null;
    }

    private static bool? Bool(string value) => value.Trim() switch
    {
        "Y" or "y" or "1" or "on" => true,
        "N" or "n" or "0" or "off" => false,
        _ => null,
    };

    /// <summary>The <c>options MODULE NAME=VALUE...</c> lines of the modprobe.d files, last one winning (returned last first).</summary>
    private static List<(string Module, string Name, string Value)> ReadModprobeOptions(HostFiles files)
    {
        var found = new List<(string, string, string)>();
        foreach (var dir in ModprobeDirs)
        {
            foreach (var file in files.List(dir).Where(f => f.EndsWith(".conf", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                var text = files.ReadAllText($"{dir}/{file}");
                if (text is null) continue;
                foreach (var raw in text.Split('\n'))
                {
                    var words = raw.Split('#')[0].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                    if (words.Length < 3 || words[0] != "options") continue;
                    var module = words[1].Replace('-', '_');
                    foreach (var w in words.Skip(2))
                    {
                        int eq = w.IndexOf('=');
                        if (eq > 0) found.Add((module, w[..eq], w[(eq + 1)..]));
                    }
                }
            }
        }
        found.Reverse();
        return found;
    }

    private static ImmutableDictionary<string, ModuleState> ReadModules(HostFiles files, string? release)
    {
        HashSet<string>? Names(string file)
        {
            if (release is null || files.ReadAllText($"/lib/modules/{release}/{file}") is not { } text) return null;
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in text.Split('\n'))
            {
                int colon = line.IndexOf(':');
                var path = (colon >= 0 ? line[..colon] : line).Trim();
                if (path.Length == 0) continue;
                var name = path[(path.LastIndexOf('/') + 1)..];
                int ko = name.IndexOf(".ko", StringComparison.Ordinal);
                if (ko > 0) set.Add(name[..ko].Replace('-', '_'));
            }
            return set;
        }
        var builtin = Names("modules.builtin");
        var dep = Names("modules.dep");
        var result = ImmutableDictionary.CreateBuilder<string, ModuleState>(StringComparer.Ordinal);
        foreach (var m in ModulesOfInterest)
        {
            result[m] = builtin?.Contains(m) == true ? ModuleState.BuiltIn
                : files.DirectoryExists($"/sys/module/{m}") ? ModuleState.Loaded
                : dep?.Contains(m) == true ? ModuleState.Available
                : dep is not null ? ModuleState.Missing
                : ModuleState.Unknown;
        }
        return result.ToImmutable();
    }

    private static int? ReadEffectiveUid(HostFiles files)
    {
        var status = files.ReadAllText("/proc/self/status");
        var line = status?.Split('\n').FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        var fields = line?.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: >= 3 } && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out int uid) ? uid : null;
    }

    /// <summary>The soft limit of "Max locked memory" in <c>/proc/self/limits</c>.</summary>
    public static long? ParseMemlock(string? limits)
    {
        var line = limits?.Split('\n').FirstOrDefault(l => l.StartsWith("Max locked memory", StringComparison.Ordinal));
        if (line is null) return null;
        var soft = line["Max locked memory".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (soft == "unlimited") return long.MaxValue;
        return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : null;
    }

    private static long? ReadMemlock(HostFiles files) => ParseMemlock(files.ReadAllText("/proc/self/limits"));

    private static ImmutableArray<HugePagePool> ReadHugePages(HostFiles files)
    {
        var pools = new List<HugePagePool>();
        foreach (var dir in files.List("/sys/kernel/mm/hugepages"))
        {
            // "hugepages-2048kB"
            if (!dir.StartsWith("hugepages-", StringComparison.Ordinal) || !dir.EndsWith("kB", StringComparison.Ordinal)) continue;
            if (!long.TryParse(dir["hugepages-".Length..^2], NumberStyles.None, CultureInfo.InvariantCulture, out long kib)) continue;
            long Count(string f) => long.TryParse(files.ReadAttribute($"/sys/kernel/mm/hugepages/{dir}/{f}"), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 0;
            pools.Add(new HugePagePool(kib, Count("nr_hugepages"), Count("free_hugepages")));
        }
        return [.. pools.OrderBy(p => p.SizeKiB)];
    }
}

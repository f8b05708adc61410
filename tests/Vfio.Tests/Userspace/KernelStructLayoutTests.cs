using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Vfio.Interop;
using Vfio.Userspace;
using Vfio.Userspace.Interop;

namespace Vfio.Tests.Userspace;

/// <summary>
/// Every kernel struct the solution declares (the lower-case types of Vfio.Userspace.Interop and
/// Vfio.Interop) has the size and field offsets the C compiler gives for the real header, and every
/// constant it passes to the kernel (ioctl request numbers, flags, indexes, capability ids, the libc
/// constants, errno values) has the value the compiler gives for its name: linux/vfio.h and
/// linux/iommufd.h from the machine's linux-libc-dev, the rest from libc. Needs gcc (Debian: gcc,
/// libc6-dev, linux-libc-dev; .ci/run installs them), so in CI it always runs.
/// Debian 12's headers are 6.1's: they predate iommufd's file mapping and VFIO's device cdev, so
/// what only newer headers declare (<see cref="NewerThanSomeHeaders"/>) is checked when the headers
/// have it. With VFIOCTL_UAPI_HEADERS set to a kernel's installed uapi headers (the lab's 7.3
/// build), everything must be there: the real-kernel suite runs this class that way in the 7.3
/// guest (tests/Vfio.RealKernel.Tests/Iommufd/UapiLayoutTests.cs).
/// </summary>
public sealed class KernelStructLayoutTests
{
    private static readonly Type[] KernelStructs = [.. new[] { (typeof(VfioSession).Assembly, "Vfio.Userspace.Interop"), (typeof(Libc).Assembly, "Vfio.Interop") }
        .SelectMany(a => a.Item1.GetTypes().Where(t => t.Namespace == a.Item2))
        .Where(t => t.IsValueType && !t.IsEnum && t.Name == t.Name.ToLowerInvariant())
        .OrderBy(t => t.Name, StringComparer.Ordinal)];

    /// <summary>Macros the running headers may no longer define (the kernel retired them); all others must exist.</summary>
    private static readonly HashSet<string> MayBeRetired = ["VFIO_TYPE1_NESTING_IOMMU"];

    /// <summary>The uapi include directory given (strict: every name must be declared), or null for the machine's headers.</summary>
    private static string? UapiHeaders => Environment.GetEnvironmentVariable("VFIOCTL_UAPI_HEADERS") is { Length: > 0 } d ? d : null;

    /// <summary>
    /// Names newer than Debian 12's 6.1 headers, each with the macro that tells whether the headers
    /// declare it (iommufd.h came in 6.2, the device cdev in 6.6, IOAS_MAP_FILE in 6.13).
    /// </summary>
    private static readonly Dictionary<string, string> NewerThanSomeHeaders = new()
    {
        ["VFIO_DEVICE_BIND_IOMMUFD"] = "VFIO_DEVICE_BIND_IOMMUFD",
        ["VFIO_DEVICE_ATTACH_IOMMUFD_PT"] = "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
        ["VFIO_DEVICE_DETACH_IOMMUFD_PT"] = "VFIO_DEVICE_DETACH_IOMMUFD_PT",
        ["VFIO_DEVICE_BIND_FLAG_TOKEN"] = "VFIO_DEVICE_BIND_FLAG_TOKEN",
        ["VFIO_PCI_HOT_RESET_FLAG_DEV_ID"] = "VFIO_PCI_HOT_RESET_FLAG_DEV_ID",
        ["VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED"] = "VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED",
        ["vfio_device_bind_iommufd"] = "VFIO_DEVICE_BIND_IOMMUFD",
        ["vfio_device_attach_iommufd_pt"] = "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
        ["vfio_device_detach_iommufd_pt"] = "VFIO_DEVICE_DETACH_IOMMUFD_PT",
        ["IOMMU_DESTROY"] = "IOMMU_DESTROY",
        ["IOMMU_IOAS_ALLOC"] = "IOMMU_IOAS_ALLOC",
        ["IOMMU_IOAS_IOVA_RANGES"] = "IOMMU_IOAS_IOVA_RANGES",
        ["IOMMU_IOAS_MAP"] = "IOMMU_IOAS_MAP",
        ["IOMMU_IOAS_UNMAP"] = "IOMMU_IOAS_UNMAP",
        ["IOMMU_IOAS_MAP_FILE"] = "IOMMU_IOAS_MAP_FILE",
        ["IOMMU_IOAS_MAP_FIXED_IOVA"] = "IOMMU_IOAS_MAP",
        ["IOMMU_IOAS_MAP_WRITEABLE"] = "IOMMU_IOAS_MAP",
        ["IOMMU_IOAS_MAP_READABLE"] = "IOMMU_IOAS_MAP",
        ["iommu_destroy"] = "IOMMU_DESTROY",
        ["iommu_ioas_alloc"] = "IOMMU_IOAS_ALLOC",
        ["iommu_iova_range"] = "IOMMU_IOAS_IOVA_RANGES",
        ["iommu_ioas_iova_ranges"] = "IOMMU_IOAS_IOVA_RANGES",
        ["iommu_ioas_map"] = "IOMMU_IOAS_MAP",
        ["iommu_ioas_unmap"] = "IOMMU_IOAS_UNMAP",
        ["iommu_ioas_map_file"] = "IOMMU_IOAS_MAP_FILE",
    };

    /// <summary>The includes every generated program starts with: iommufd.h only where the headers have it.</summary>
    private const string KernelIncludes = "#include <linux/vfio.h>\n#if __has_include(<linux/iommufd.h>)\n#include <linux/iommufd.h>\n#endif\n";

    /// <summary>
    /// Every constant with a C name and its C# value: all upper-case constants of <see cref="Libc"/> and
    /// <see cref="VfioIoctl"/> (enumerated, so a new one is checked without being listed), every
    /// <see cref="Errno"/>, and the public enums of Vfio.Userspace whose values are the kernel's.
    /// </summary>
    private static List<(string CName, long Value, bool IsMacro)> Constants()
    {
        var list = new List<(string, long, bool)>();
        foreach (var type in new[] { typeof(Libc), typeof(VfioIoctl), typeof(IommufdIoctl) })
            foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static).Where(f => f.IsLiteral))
                if (f.Name == f.Name.ToUpperInvariant() || f.Name.StartsWith("VFIO_", StringComparison.Ordinal))
                    list.Add((f.Name, ToLong(f.GetRawConstantValue()!), true));
        foreach (var e in Enum.GetValues<Errno>()) list.Add((ErrnoInfo.Name(e), (long)e, true));

        static string Snake(string name) => string.Concat(name.Select((ch, i) => i > 0 && char.IsUpper(ch) ? "_" + ch : ch.ToString())).ToUpperInvariant();
        void Map<T>(Func<string, string?> cName, bool isMacro) where T : struct, System.Enum
        {
            foreach (var value in System.Enum.GetValues<T>())
                if (cName(value.ToString()) is { } c) list.Add((c, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture), isMacro));
        }
        Map<VfioPciRegion>(n => $"VFIO_PCI_{n.ToUpperInvariant()}_REGION_INDEX", isMacro: false);
        Map<VfioIrqIndex>(n => $"VFIO_PCI_{n.ToUpperInvariant()}_IRQ_INDEX", isMacro: false);
        Map<VfioRegionFlags>(n => n == "None" ? null : $"VFIO_REGION_INFO_FLAG_{n.ToUpperInvariant()}", isMacro: true);
        Map<VfioDeviceFlags>(n => n == "None" ? null : $"VFIO_DEVICE_FLAGS_{Snake(n)}", isMacro: true);
        Map<VfioIrqFlags>(n => n == "None" ? null : $"VFIO_IRQ_INFO_{n.ToUpperInvariant()}", isMacro: true);
        Map<VfioGroupFlags>(n => n == "None" ? null : $"VFIO_GROUP_FLAGS_{Snake(n)}", isMacro: true);
        Map<DmaAccess>(n => n switch { "DeviceRead" => "VFIO_DMA_MAP_FLAG_READ", "DeviceWrite" => "VFIO_DMA_MAP_FLAG_WRITE", _ => null }, isMacro: true);
        Map<VfioExtension>(n => n switch
        {
            "Type1" => "VFIO_TYPE1_IOMMU", "SpaprTce" => "VFIO_SPAPR_TCE_IOMMU", "Type1v2" => "VFIO_TYPE1v2_IOMMU",
            "DmaCacheCoherent" => "VFIO_DMA_CC_IOMMU", "Eeh" => "VFIO_EEH", "Type1Nesting" => "VFIO_TYPE1_NESTING_IOMMU",
            "SpaprTceV2" => "VFIO_SPAPR_TCE_v2_IOMMU", "NoIommu" => "VFIO_NOIOMMU_IOMMU", "UnmapAll" => "VFIO_UNMAP_ALL",
            "UpdateVaddr" => "VFIO_UPDATE_VADDR",
            _ => throw new InvalidOperationException($"VfioExtension.{n} has no C name here: add it"),
        }, isMacro: true);
        return list;
    }

    private static long ToLong(object value) => value switch
    {
        nuint u => (long)u,
        nint i => i,
        ulong u => checked((long)u),
        _ => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public void Every_constant_passed_to_the_kernel_has_the_c_headers_value()
    {
        var constants = Constants();
        // The enumeration must find what the code uses, or the test would pass on nothing.
        foreach (var name in new[] { "VFIO_IOMMU_MAP_DMA", "VFIO_DEVICE_FEATURE", "VFIO_GROUP_FLAGS_VIABLE", "O_CLOEXEC", "MAP_HUGETLB", "EFD_NONBLOCK", "ETIMEDOUT", "VFIO_PCI_MSIX_IRQ_INDEX", "VFIO_TYPE1v2_IOMMU", "IOMMU_IOAS_MAP_FILE", "VFIO_DEVICE_BIND_IOMMUFD", "MFD_HUGETLB" })
            Assert.Contains(constants, c => c.CName == name);
        var duplicates = constants.GroupBy(c => c.CName).Where(g => g.Select(c => c.Value).Distinct().Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "declared twice with different values: " + string.Join(", ", duplicates));

        var c = new StringBuilder();
        c.AppendLine("#define _GNU_SOURCE\n#include <stdio.h>\n#include <stdint.h>\n#include <errno.h>\n#include <fcntl.h>\n#include <poll.h>");
        c.AppendLine("#include <sys/mman.h>\n#include <sys/eventfd.h>\n#include <sys/resource.h>\n#include <sys/stat.h>\n" + KernelIncludes + "int main(void) {");
        foreach (var (name, _, isMacro) in constants.DistinctBy(k => k.CName))
        {
            // A name newer than some headers is guarded by the macro that comes with it; the rest of the macros by themselves.
            string? guard = NewerThanSomeHeaders.TryGetValue(name, out var g) ? g : isMacro ? name : null;
            if (guard is not null) c.AppendLine($"#ifdef {guard}");
            c.AppendLine($"  printf(\"{name} %lld\\n\", (long long)(intptr_t)({name}));");
            if (guard is not null) c.AppendLine($"#else\n  printf(\"{name} undefined\\n\");\n#endif");
        }
        c.AppendLine("  return 0;\n}");

        var actual = CompileAndRun(c.ToString()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p[1]);
        var mismatches = new List<string>();
        var olderHeaders = new List<string>();
        foreach (var (name, value, _) in constants)
        {
            var inC = actual[name];
            if (inC == "undefined")
            {
                if (MayBeRetired.Contains(name)) continue;
                if (NewerThanSomeHeaders.ContainsKey(name) && UapiHeaders is null) { olderHeaders.Add(name); continue; }
                mismatches.Add($"{name}: not defined by the headers (C# {value})");
            }
            else if (long.Parse(inC, System.Globalization.CultureInfo.InvariantCulture) != value)
                mismatches.Add($"{name}: C {inC}, C# {value}");
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {constants.Count} constants differ from the C headers:\n" + string.Join("\n", mismatches));
        if (olderHeaders.Count > 0)
            TestContext.Current.SendDiagnosticMessage($"not in these headers (checked against a 7.3 kernel's in the lab): {string.Join(", ", olderHeaders)}");
        Assert.True(constants.Count >= 150, $"only {constants.Count} constants found");
    }

    private static IEnumerable<FieldInfo> Fields(Type t) => t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    [Fact]
    public void Every_declared_kernel_struct_matches_the_c_headers()
    {
        Assert.Contains(KernelStructs, t => t.Name == "vfio_region_info");
        Assert.Contains(KernelStructs, t => t.Name == "vfio_iommu_type1_dma_map");
        Assert.True(KernelStructs.Length >= 18, $"found only {KernelStructs.Length} kernel structs");

        var c = new StringBuilder();
        c.AppendLine("#include <stdio.h>\n#include <stddef.h>\n#include <poll.h>\n#include <sys/resource.h>\n" + KernelIncludes + "int main(void) {");
        foreach (var t in KernelStructs)
        {
            string? guard = NewerThanSomeHeaders.TryGetValue(t.Name, out var g) ? g : null;
            if (guard is not null) c.AppendLine($"#ifdef {guard}");
            c.AppendLine($"  printf(\"{t.Name} %zu\\n\", sizeof(struct {t.Name}));");
            foreach (var f in Fields(t))
                c.AppendLine($"  printf(\"{t.Name}.{f.Name} %zu\\n\", offsetof(struct {t.Name}, {f.Name}));");
            if (guard is not null) c.AppendLine($"#else\n  printf(\"{t.Name} -1\\n\");\n#endif");
        }
        c.AppendLine("  return 0;\n}");

        var expected = new Dictionary<string, long>();
        foreach (var line in CompileAndRun(c.ToString()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            expected[parts[0]] = long.Parse(parts[1]);
        }

        var mismatches = new List<string>();
        foreach (var t in KernelStructs)
        {
            if (expected[t.Name] < 0)
            {
                // Not declared by these headers: allowed only for newer structs on the machine's headers.
                if (UapiHeaders is not null || !NewerThanSomeHeaders.ContainsKey(t.Name)) mismatches.Add($"struct {t.Name}: not declared by the headers");
                continue;
            }
            long managed = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;
            long marshalled = Marshal.SizeOf(t);
            // A struct versioned by argsz may have grown at its end in newer headers (vfio_device_info
            // gained a pad after 6.1): the kernel reads only argsz bytes, so the older layout stays valid
            // as long as every field keeps its offset (checked below).
            bool grewAtEnd = managed == marshalled && managed < expected[t.Name] && Fields(t).Any(f => f.Name == "argsz") && Marshal.OffsetOf(t, "argsz") == 0;
            if (!grewAtEnd && (managed != expected[t.Name] || marshalled != expected[t.Name]))
                mismatches.Add($"sizeof({t.Name}): C {expected[t.Name]}, C# {managed} (Marshal {marshalled})");
            foreach (var f in Fields(t))
            {
                long offset = Marshal.OffsetOf(t, f.Name).ToInt64();
                if (offset != expected[$"{t.Name}.{f.Name}"])
                    mismatches.Add($"offsetof({t.Name}, {f.Name}): C {expected[$"{t.Name}.{f.Name}"]}, C# {offset}");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    private static string CompileAndRun(string source)
    {
        var dir = Directory.CreateTempSubdirectory("vfio-layout-");
        try
        {
            var src = Path.Combine(dir.FullName, "layout.c");
            var exe = Path.Combine(dir.FullName, "layout");
            File.WriteAllText(src, source);
            var (code, output) = UapiHeaders is { } include
                ? Run("gcc", "-Wall", "-Werror", "-I", include, "-o", exe, src)
                : Run("gcc", "-Wall", "-Werror", "-o", exe, src);
            Assert.True(code == 0, $"gcc failed ({code}); install gcc and linux-libc-dev:\n{output}\n{source}");
            (code, output) = Run(exe);
            Assert.Equal(0, code);
            return output;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static (int, string) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { return (-1, $"{file} could not start: {e.Message}"); }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
    }
}

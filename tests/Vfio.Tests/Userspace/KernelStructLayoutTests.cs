using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Vfio.Userspace;

namespace Vfio.Tests.Userspace;

/// <summary>
/// Every kernel struct the library declares (the lower-case types of Vfio.Userspace.Interop) has the
/// size and field offsets the C compiler gives for the real header: linux/vfio.h from the machine's
/// linux-libc-dev, poll.h and sys/resource.h from libc. Needs gcc (Debian: gcc, linux-libc-dev).
/// </summary>
public sealed class KernelStructLayoutTests
{
    private static readonly Type[] KernelStructs = [.. typeof(VfioSession).Assembly.GetTypes()
        .Where(t => t.Namespace == "Vfio.Userspace.Interop" && t.IsValueType && !t.IsEnum && t.Name == t.Name.ToLowerInvariant())
        .OrderBy(t => t.Name, StringComparer.Ordinal)];

    private static IEnumerable<FieldInfo> Fields(Type t) => t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);

    [Fact]
    public void Every_declared_kernel_struct_matches_the_c_headers()
    {
        Assert.Contains(KernelStructs, t => t.Name == "vfio_region_info");
        Assert.Contains(KernelStructs, t => t.Name == "vfio_iommu_type1_dma_map");
        Assert.True(KernelStructs.Length >= 18, $"found only {KernelStructs.Length} kernel structs");

        var c = new StringBuilder();
        c.AppendLine("#include <stdio.h>\n#include <stddef.h>\n#include <poll.h>\n#include <sys/resource.h>\n#include <linux/vfio.h>\nint main(void) {");
        foreach (var t in KernelStructs)
        {
            c.AppendLine($"  printf(\"{t.Name} %zu\\n\", sizeof(struct {t.Name}));");
            foreach (var f in Fields(t))
                c.AppendLine($"  printf(\"{t.Name}.{f.Name} %zu\\n\", offsetof(struct {t.Name}, {f.Name}));");
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
            long managed = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;
            long marshalled = Marshal.SizeOf(t);
            if (managed != expected[t.Name] || marshalled != expected[t.Name])
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
            var (code, output) = Run("gcc", "-Wall", "-Werror", "-o", exe, src);
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

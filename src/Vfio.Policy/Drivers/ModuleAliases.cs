using System.Collections.Immutable;
using System.Text;

namespace Vfio.Policy.Drivers;

/// <summary>One <c>alias PATTERN MODULE</c> line of <c>modules.alias</c>.</summary>
public sealed record ModuleAlias(string Pattern, string Module, int Line);

/// <summary>The vfio-pci driver chosen for a device, and why.</summary>
public sealed record VfioDriverChoice(string Module, string Pattern, int Wildcards, string Reason)
{
    /// <summary>True when the generic vfio-pci was chosen (no variant matched more closely).</summary>
    public bool IsGeneric => Module == "vfio_pci";
}

/// <summary>
/// The <c>vfio_pci:</c> and <c>pci:</c> aliases of a kernel's <c>modules.alias</c>. Variant
/// drivers declare their ids with <c>PCI_DRIVER_OVERRIDE_DEVICE_VFIO</c>, which file2alias writes
/// with the <c>vfio_pci:</c> prefix; the kernel never autobinds them (kernel-facts section 3).
/// </summary>
public sealed class ModuleAliases
{
    public const string VfioPrefix = "vfio_pci:";
    public const string PciPrefix = "pci:";

    private readonly Lazy<ImmutableArray<ModuleAlias>> _pci;

    private ModuleAliases(ImmutableArray<ModuleAlias> vfio, Lazy<ImmutableArray<ModuleAlias>> pci, ImmutableArray<string> problems)
    {
        Vfio = vfio;
        _pci = pci;
        Problems = problems;
    }

    /// <summary>The <c>vfio_pci:</c> aliases (generic vfio_pci and the variants).</summary>
    public ImmutableArray<ModuleAlias> Vfio { get; }
    /// <summary>The ordinary <c>pci:</c> aliases (the drivers the kernel would autoload), materialised on first use.</summary>
    public ImmutableArray<ModuleAlias> Pci => _pci.Value;
    /// <summary>Lines that could not be understood, each with its line number.</summary>
    public ImmutableArray<string> Problems { get; }

    public static ModuleAliases Empty { get; } = new([], new Lazy<ImmutableArray<ModuleAlias>>(ImmutableArray<ModuleAlias>.Empty), []);

    private static ReadOnlySpan<byte> AliasWord => "alias"u8;
    private static ReadOnlySpan<byte> VfioPrefixUtf8 => "vfio_pci:"u8;
    private static ReadOnlySpan<byte> PciPrefixUtf8 => "pci:"u8;

    /// <summary>
    /// Parses modules.alias (UTF-8 bytes); malformed lines are reported in <see cref="Problems"/>,
    /// not fatal. The file is about 1.3 MB and 30,000 lines, almost all for other buses: lines are
    /// classified on their bytes and only <c>vfio_pci:</c> lines become strings up front; the
    /// <c>pci:</c> lines are remembered by position and split only if <see cref="Pci"/> is read.
    /// </summary>
    public static ModuleAliases Parse(byte[] utf8)
    {
        var vfio = ImmutableArray.CreateBuilder<ModuleAlias>();
        var pciLines = new List<(int Start, int Length, int Line)>();
        var problems = ImmutableArray.CreateBuilder<string>();
        var data = utf8.AsSpan();
        int n = 0, pos = 0;
        while (pos < data.Length)
        {
            int nl = data[pos..].IndexOf((byte)'\n');
            int lineStart = pos, lineLength = nl < 0 ? data.Length - pos : nl;
            pos = nl < 0 ? data.Length : pos + nl + 1;
            n++;
            var raw = data.Slice(lineStart, lineLength);
            int lead = raw.Length - raw.TrimStart(" \t\r"u8).Length;
            var line = raw[lead..].TrimEnd(" \t\r"u8);
            if (line.IsEmpty || line[0] == (byte)'#') continue;
            if (line.StartsWith(AliasWord) && line.Length > AliasWord.Length && IsBlank(line[AliasWord.Length]))
            {
                var pattern = line[AliasWord.Length..].TrimStart(" \t"u8);
                if (pattern.StartsWith(PciPrefixUtf8))
                {
                    pciLines.Add((lineStart + lead, line.Length, n));
                    continue;
                }
                // Most of the file is aliases of other buses (usb:, acpi*:, of:...): skipped unsplit.
                if (!pattern.StartsWith(VfioPrefixUtf8)) continue;
            }
            var text = Encoding.UTF8.GetString(line);
            if (TryAlias(text, n, out var alias, out var problem)) vfio.Add(alias);
            else if (problems.Count < 20) problems.Add(problem);
        }
        var pci = new Lazy<ImmutableArray<ModuleAlias>>(() =>
        {
            var list = ImmutableArray.CreateBuilder<ModuleAlias>(pciLines.Count);
            foreach (var (start, length, line) in pciLines)
                if (TryAlias(Encoding.UTF8.GetString(utf8, start, length), line, out var a, out _)) list.Add(a);
            return list.ToImmutable();
        }, LazyThreadSafetyMode.ExecutionAndPublication);
        return new ModuleAliases(vfio.ToImmutable(), pci, problems.ToImmutable());
    }

    /// <summary>Parses modules.alias text read from a reader.</summary>
    public static ModuleAliases Parse(TextReader reader) => Parse(reader.ReadToEnd());

    public static ModuleAliases Parse(string text) => Parse(Encoding.UTF8.GetBytes(text));

    private static bool IsBlank(byte b) => b is (byte)' ' or (byte)'\t';

    private static bool TryAlias(string line, int n, out ModuleAlias alias, out string problem)
    {
        var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 3 || f[0] != "alias")
        {
            alias = null!;
            problem = $"line {n}: expected 'alias PATTERN MODULE', found '{Truncate(line)}'";
            return false;
        }
        alias = new ModuleAlias(f[1], f[2], n);
        problem = "";
        return true;
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";

    /// <summary>
    /// The best vfio-pci driver for a device's modalias (<c>pci:v...</c>): every <c>vfio_pci:</c>
    /// alias that matches, the one with the fewest wildcard fields wins (ties: the first line), and
    /// the generic vfio_pci is the fallback even when modules.alias lacks it.
    /// </summary>
    public VfioDriverChoice ChooseVfioDriver(string? modalias)
    {
        if (string.IsNullOrEmpty(modalias) || !modalias.StartsWith(PciPrefix, StringComparison.Ordinal))
            return new VfioDriverChoice("vfio_pci", "", int.MaxValue, "the device's modalias is unreadable: generic vfio-pci");
        var key = VfioPrefix + modalias[PciPrefix.Length..];
        ModuleAlias? best = null;
        int bestWild = int.MaxValue;
        foreach (var a in Vfio)
        {
            if (!Glob.Match(a.Pattern, key)) continue;
            int wild = Wildcards(a.Pattern);
            if (wild < bestWild) { best = a; bestWild = wild; }
        }
        if (best is null)
            return new VfioDriverChoice("vfio_pci", "", int.MaxValue, "no vfio_pci alias in modules.alias matches: generic vfio-pci");
        if (best.Module == "vfio_pci")
            return new VfioDriverChoice("vfio_pci", best.Pattern, bestWild, "no variant driver matches this device: generic vfio-pci");
        return new VfioDriverChoice(best.Module, best.Pattern, bestWild,
            $"variant driver {best.Module} matches this device ({best.Pattern}, modules.alias line {best.Line})");
    }

    /// <summary>The ordinary kernel drivers whose pci: alias matches, most specific first.</summary>
    public IReadOnlyList<string> KernelDriversFor(string? modalias)
    {
        if (string.IsNullOrEmpty(modalias)) return [];
        return [.. Pci.Where(a => Glob.Match(a.Pattern, modalias)).OrderBy(a => Wildcards(a.Pattern)).Select(a => a.Module).Distinct()];
    }

    /// <summary>Fields of the alias that are a bare '*' (v, d, sv, sd, bc, sc, i), plus a trailing '*'.</summary>
    internal static int Wildcards(string pattern)
    {
        int colon = pattern.IndexOf(':');
        var body = colon >= 0 ? pattern[(colon + 1)..] : pattern;
        int count = 0;
        // Field markers in order; each field's value runs to the next marker.
        string[] markers = ["v", "d", "sv", "sd", "bc", "sc", "i"];
        int pos = 0;
        for (int m = 0; m < markers.Length; m++)
        {
            if (!body.AsSpan(pos).StartsWith(markers[m], StringComparison.Ordinal)) { count++; continue; }
            pos += markers[m].Length;
            int next = m + 1 < markers.Length ? body.IndexOf(markers[m + 1], pos, StringComparison.Ordinal) : body.Length;
            if (next < 0) next = body.Length;
            var value = body[pos..next];
            if (value.Contains('*')) count++;
            pos = next;
        }
        return count;
    }
}

using System.Diagnostics;
using System.Globalization;
using SysfsGen;

const string Usage =
    "usage: SysfsGen OUTDIR [--functions N] [--seed N]   write a synthetic Linux 6.12 sysfs/procfs tree\n" +
    "       SysfsGen --verify OUTDIR                     check a generated tree is self-consistent\n";

string? outDir = null, verify = null;
int functions = 4096;
ulong seed = 1;
for (int i = 0; i < args.Length; i++)
{
    string a = args[i];
    string Value()
    {
        if (i + 1 >= args.Length) throw new ArgumentException($"{a} needs a value");
        return args[++i];
    }
    try
    {
        switch (a)
        {
            case "--functions": functions = int.Parse(Value(), CultureInfo.InvariantCulture); break;
            case "--seed": seed = ulong.Parse(Value(), CultureInfo.InvariantCulture); break;
            case "--verify": verify = Value(); break;
            case "-h" or "--help": Console.Write(Usage); return 0;
            default:
                if (a.StartsWith('-') || outDir is not null) throw new ArgumentException($"unexpected argument '{a}'");
                outDir = a;
                break;
        }
    }
    catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
    {
        Console.Error.WriteLine($"SysfsGen: {e.Message}");
        Console.Error.Write(Usage);
        return 2;
    }
}

if (verify is not null) return Verifier.Run(verify, Console.Out);
if (outDir is null)
{
    Console.Error.Write(Usage);
    return 2;
}

var sw = Stopwatch.StartNew();
Host host;
try
{
    host = HostBuilder.Build(functions, seed);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"SysfsGen: {e.Message}");
    return 2;
}
long modelMs = sw.ElapsedMilliseconds;

string root = Path.GetFullPath(outDir).TrimEnd('/');
if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
{
    if (!File.Exists(Path.Combine(root, TreeWriter.Marker)))
    {
        Console.Error.WriteLine($"SysfsGen: {root} exists, is not empty and was not made by SysfsGen; refusing to replace it");
        return 1;
    }
    foreach (var e in Directory.EnumerateFileSystemEntries(root))
    {
        if (Directory.Exists(e) && new DirectoryInfo(e).LinkTarget is null) Directory.Delete(e, recursive: true);
        else File.Delete(e);
    }
}
Directory.CreateDirectory(root);
long cleanMs = sw.ElapsedMilliseconds - modelMs;

var fs = new Fs(root);
new TreeWriter(host, fs).Write();
sw.Stop();

int vfs = host.Functions.Count(f => f.IsVf);
int pfs = host.Functions.Count(f => f.Vfs.Count > 0);
int bridges = host.Functions.Count(f => f.IsBridge);
int domains = host.Roots.Select(r => r.Domain).Distinct().Count();
Console.WriteLine(
    $"SysfsGen: {host.Functions.Count} PCI functions ({vfs} VFs of {pfs} PFs, {bridges} bridges, {host.Roots.Count} root buses in {domains} domains), " +
    $"{host.Groups.Count} IOMMU groups, seed {seed}");
Console.WriteLine(
    $"SysfsGen: wrote {fs.Files} files, {fs.Links} symlinks, {fs.Dirs} directories under {root} in {sw.ElapsedMilliseconds} ms " +
    $"(model {modelMs} ms, cleanup {cleanMs} ms)");
return 0;

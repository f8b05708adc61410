using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;

namespace Vfio.Tests.Architecture;

/// <summary>
/// The layering of docs/architecture.md, checked on what the compiler produced and on the project
/// files, so that neither a <c>using</c> alias nor a fully qualified name can slip past it.
/// </summary>
public class LayeringTests
{
    // ---- Policy is pure -------------------------------------------------------------------------

    /// <summary>
    /// Namespaces Vfio.Policy may never name (besides System.IO, below): the network, the registry
    /// and native handles, archives.
    /// </summary>
    private static readonly string[] ForbiddenNamespaces =
    [
        "System.Net", "Microsoft.Win32", "System.Formats.Tar",
    ];

    /// <summary>
    /// The System.IO types that open nothing (a caller hands Policy their content); every other
    /// System.IO type (File, Directory, FileStream, FileInfo, Path, ...) is forbidden.
    /// </summary>
    private static readonly HashSet<string> PureSystemIo =
    [
        "System.IO.TextReader", "System.IO.TextWriter", "System.IO.StringReader", "System.IO.StringWriter",
        "System.IO.Stream", "System.IO.MemoryStream", "System.IO.BinaryReader", "System.IO.BinaryWriter",
        "System.IO.SeekOrigin", "System.IO.IOException", "System.IO.InvalidDataException",
        "System.IO.EndOfStreamException",
    ];

    private static readonly HashSet<string> ForbiddenTypes =
    [
        "System.Console", "System.AppDomain",
        "System.Diagnostics.Process", "System.Diagnostics.ProcessStartInfo", "System.Diagnostics.ProcessModule",
        "System.Runtime.InteropServices.SafeHandle", "System.Runtime.InteropServices.NativeLibrary",
    ];

    /// <summary><c>System.Environment</c> is process state; only its constants are pure.</summary>
    private static readonly HashSet<string> AllowedEnvironmentMembers = ["get_NewLine"];

    /// <summary>The host as Policy sees it: the immutable model, never the readers behind it.</summary>
    private const string HostModelNamespace = "Vfio.Host.Model";

    /// <summary>
    /// Uses found in today's Policy that the rules forbid, each with the reason it is tolerated for
    /// now. Empty: nothing is tolerated.
    /// </summary>
    private static readonly HashSet<string> Tolerated = [];

    [Fact]
    public void Policy_uses_no_file_system_process_or_host_reader_API()
    {
        var violations = PolicyViolations(PathOfBuiltAssembly("Vfio.Policy"));
        Assert.True(violations.Count == 0,
            "Vfio.Policy must stay pure (docs/architecture.md, \"Policy\"): it plans over the host model and " +
            "touches nothing. Move the I/O to Vfio.Host (a reader) or Vfio.Execution, and pass Policy the result.\n" +
            string.Join("\n", violations));
    }

    /// <summary>Every forbidden type or member the assembly at <paramref name="path"/> refers to.</summary>
    internal static List<string> PolicyViolations(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var found = new SortedSet<string>(StringComparer.Ordinal);

        foreach (var handle in md.TypeReferences)
        {
            var type = md.GetTypeReference(handle);
            var name = FullName(md, type);
            var assembly = AssemblyOf(md, type);
            var why = ForbiddenType(name, assembly);
            if (why is not null) found.Add($"{name} ({why})");
        }

        foreach (var handle in md.MemberReferences)
        {
            var member = md.GetMemberReference(handle);
            if (member.Parent.Kind != HandleKind.TypeReference) continue;
            var type = md.GetTypeReference((TypeReferenceHandle)member.Parent);
            var name = FullName(md, type);
            var memberName = md.GetString(member.Name);
            var qualified = $"{name}.{memberName}";
            if (name == "System.Environment" && !AllowedEnvironmentMembers.Contains(memberName))
                found.Add($"{qualified} (process state)");
            else if (ForbiddenType(name, AssemblyOf(md, type)) is { } why)
                found.Add($"{qualified} ({why})");
        }

        // A native import declared in Policy itself.
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            if ((method.Attributes & MethodAttributes.PinvokeImpl) == 0) continue;
            var owner = md.GetTypeDefinition(method.GetDeclaringType());
            found.Add($"{md.GetString(owner.Namespace)}.{md.GetString(owner.Name)}.{md.GetString(method.Name)} (a native import)");
        }

        found.RemoveWhere(v => Tolerated.Any(t => v.StartsWith(t, StringComparison.Ordinal)));
        return [.. found];
    }

    private static string? ForbiddenType(string name, string? assembly)
    {
        if (assembly == "Vfio.Host" && !IsInNamespace(name, HostModelNamespace))
            return "Vfio.Host outside " + HostModelNamespace + ": a reader, the sysfs seam or a snapshot";
        if (assembly is not null && assembly.StartsWith("Vfio.", StringComparison.Ordinal) && assembly is not ("Vfio.Core" or "Vfio.Host"))
            return "an assembly Policy may not use: " + assembly;
        if (ForbiddenTypes.Contains(name)) return "process, console or native API";
        if (IsInNamespace(name, "System.IO") && !PureSystemIo.Contains(name)) return "file-system API";
        foreach (var ns in ForbiddenNamespaces)
            if (IsInNamespace(name, ns)) return ns;
        return null;
    }

    private static bool IsInNamespace(string typeName, string ns) =>
        typeName.StartsWith(ns + ".", StringComparison.Ordinal);

    private static string FullName(MetadataReader md, TypeReference type)
    {
        var name = md.GetString(type.Name);
        if (type.ResolutionScope.Kind == HandleKind.TypeReference)
            return FullName(md, md.GetTypeReference((TypeReferenceHandle)type.ResolutionScope)) + "." + name;
        var ns = md.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private static string? AssemblyOf(MetadataReader md, TypeReference type)
    {
        while (type.ResolutionScope.Kind == HandleKind.TypeReference)
            type = md.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
        return type.ResolutionScope.Kind == HandleKind.AssemblyReference
            ? md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name)
            : null;
    }

    private static string PathOfBuiltAssembly(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, name + ".dll");
        Assert.True(File.Exists(path), $"{name}.dll is not next to the tests ({AppContext.BaseDirectory})");
        return path;
    }

    // ---- Project references point down ---------------------------------------------------------

    /// <summary>
    /// Which project each project may reference directly (docs/architecture.md, "The project
    /// graph"). <c>null</c>: any project under src/. A project missing here fails the test, so a new
    /// one is placed in the layers on purpose.
    /// </summary>
    private static readonly Dictionary<string, string[]?> Allowed = new(StringComparer.Ordinal)
    {
        ["Vfio.Core"] = [],
        ["Vfio.Interop"] = ["Vfio.Core"],
        ["Vfio.Host"] = ["Vfio.Core", "Vfio.Interop"],
        ["Vfio.Policy"] = ["Vfio.Host", "Vfio.Core"],
        ["Vfio.Execution"] = ["Vfio.Policy", "Vfio.Host", "Vfio.Core", "Vfio.Interop"],
        ["Vfio.Userspace"] = ["Vfio.Core", "Vfio.Interop"],
        // The lab references nothing today; it may take its libc calls from the interop layer.
        ["Vfio.Lab"] = ["Vfio.Core", "Vfio.Interop"],
        ["vfioctl"] = null,
        // samples/: userspace drivers, written against the library as any user would.
        ["Edu"] = ["Vfio.Userspace", "Vfio.Core"],
        ["Nvme"] = ["Vfio.Userspace", "Vfio.Core"],
        // bench/: front ends over the product; the managed VFIO benchmark uses the library, and the
        // benchmarks' own system calls (tree writing, anonymous pages) come from the interop layer.
        ["SysfsGen"] = ["Vfio.Interop"],
        ["probe"] = [],
        ["Managed"] = ["Vfio.Userspace", "Vfio.Core", "Vfio.Interop"],
    };

    [Fact]
    public void Project_references_point_down_the_layers()
    {
        var projects = ProjectFiles().ToList();
        Assert.Contains(projects, p => Path.GetFileNameWithoutExtension(p) == "Vfio.Policy");

        var violations = new List<string>();
        foreach (var project in projects)
            violations.AddRange(ReferenceViolations(project, ProjectReferencesOf(project)));

        Assert.True(violations.Count == 0,
            "Dependencies point down only (docs/architecture.md, \"The project graph\"):\n" + string.Join("\n", violations));
    }

    /// <summary>What is wrong with <paramref name="project"/> referencing <paramref name="references"/>.</summary>
    internal static IEnumerable<string> ReferenceViolations(string project, IEnumerable<string> references)
    {
        var name = Path.GetFileNameWithoutExtension(project);
        var where = RepositoryFiles.Relative(project);
        if (!Allowed.TryGetValue(name, out var allowed))
        {
            yield return $"{where}: not in the layering table of {nameof(LayeringTests)}; add it with the projects it may reference";
            yield break;
        }
        foreach (var reference in references)
        {
            var inSrc = reference.StartsWith("src/", StringComparison.Ordinal);
            if (inSrc && (allowed is null || allowed.Contains(Path.GetFileNameWithoutExtension(reference)))) continue;
            yield return $"{where} references {reference}; allowed: {(allowed is null ? "any project under src/" : allowed.Length == 0 ? "none" : string.Join(", ", allowed))}";
        }
    }

    /// <summary>Every project of the product, the samples and the benchmarks (tests may reference anything).</summary>
    private static IEnumerable<string> ProjectFiles() =>
        new[] { "src", "samples", "bench" }
            .SelectMany(RepositoryFiles.TextFilesUnder)
            .Where(f => f.EndsWith(".csproj", StringComparison.Ordinal));

    /// <summary>The repository-relative paths of a project's ProjectReferences.</summary>
    private static IEnumerable<string> ProjectReferencesOf(string project)
    {
        var dir = Path.GetDirectoryName(project)!;
        return XDocument.Load(project).Descendants()
            .Where(e => e.Name.LocalName == "ProjectReference")
            .Select(e => (string?)e.Attribute("Include"))
            .Where(include => include is not null)
            .Select(include => RepositoryFiles.Relative(Path.GetFullPath(Path.Combine(dir, include!.Replace('\\', '/')))))
            .ToList();
    }

    [Fact]
    public void A_reference_up_the_layers_is_named_in_the_failure()
    {
        var policy = RepositoryFiles.PathOf("src/Vfio.Policy/Vfio.Policy.csproj");
        var violations = ReferenceViolations(policy, ["src/Vfio.Host/Vfio.Host.csproj", "src/Vfio.Execution/Vfio.Execution.csproj"]).ToList();
        var violation = Assert.Single(violations);
        Assert.Contains("src/Vfio.Policy/Vfio.Policy.csproj references src/Vfio.Execution/Vfio.Execution.csproj", violation);

        var userspace = RepositoryFiles.PathOf("src/Vfio.Userspace/Vfio.Userspace.csproj");
        Assert.Single(ReferenceViolations(userspace, ["src/Vfio.Host/Vfio.Host.csproj"]));
        var unknown = RepositoryFiles.PathOf("src/Vfio.Fleet/Vfio.Fleet.csproj");
        Assert.Contains("not in the layering table", Assert.Single(ReferenceViolations(unknown, [])));
    }

    [Fact]
    public void A_file_system_call_compiled_into_an_assembly_is_named_in_the_failure()
    {
        // The tests' own assembly reads files (this class does): the same scan must find it.
        var violations = PolicyViolations(typeof(LayeringTests).Assembly.Location);
        Assert.Contains(violations, v => v.StartsWith("System.IO.File.OpenRead", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("System.IO.Directory.EnumerateFiles", StringComparison.Ordinal));
    }
}

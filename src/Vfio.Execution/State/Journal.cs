using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vfio.Execution.State;

/// <summary>What a device had before vfioctl first moved it: the state <c>restore</c> returns it to.</summary>
public sealed record JournalEntry
{
    public required string Address { get; init; }
    /// <summary>The driver bound before the first change (null: none).</summary>
    public string? OriginalDriver { get; init; }
    /// <summary>The module that provided it (from /sys/bus/pci/drivers/D/module), to load it again on restore.</summary>
    public string? OriginalModule { get; init; }
    public string? OriginalOverride { get; init; }
    public int? Group { get; init; }
    /// <summary>Where vfioctl put it last (vfio-pci, pci-stub, "none" for unbind).</summary>
    public string? BoundTo { get; init; }
    public DateTime ChangedUtc { get; init; }
    /// <summary>For a VF: its PF. A VF goes away when its PF's VFs are removed; restore then just forgets it.</summary>
    public string? PhysFn { get; init; }
    /// <summary>
    /// For a PF whose SR-IOV vfioctl changed: the VF count before the first change (restore removes
    /// the VFs vfioctl made and creates this many again under the original driver). Null: SR-IOV untouched.
    /// </summary>
    public int? OriginalNumVfs { get; init; }
    /// <summary>For such a PF: <c>sriov_drivers_autoprobe</c> before the first change.</summary>
    public bool? OriginalAutoprobe { get; init; }

    /// <summary>True when vfioctl changed this PF's SR-IOV state.</summary>
    [JsonIgnore]
    public bool SriovChanged => OriginalNumVfs is not null;
}

/// <summary>
/// The durable record of original drivers (<c>STATE/journal.json</c>). Entries are added and
/// written (temp file, fsync, rename, fsync of the directory) before the first kernel write that
/// changes a device, so a crash at any point leaves enough to restore. An entry is kept across
/// repeated binds: the original is the driver before vfioctl, never one vfioctl set.
/// </summary>
public sealed class Journal
{

    private readonly string _path;
    private readonly SortedDictionary<string, JournalEntry> _entries = new(StringComparer.Ordinal);

    private Journal(string path) => _path = path;

    /// <summary>File name inside the state directory.</summary>
    public const string FileName = "journal.json";

    public IReadOnlyCollection<JournalEntry> Entries => _entries.Values;

    public JournalEntry? Find(PciAddress a) => _entries.GetValueOrDefault(a.ToString());

    /// <summary>Loads the journal from a directory (a real path); an absent file is an empty journal.</summary>
    public static Journal Load(string directory)
    {
        var j = new Journal(Path.Combine(directory, FileName));
        if (!File.Exists(j._path)) return j;
        JournalDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(File.ReadAllText(j._path), JournalJson.Default.JournalDocument);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The journal {j._path} is damaged ({e.Message}); it was left as it is. Move it aside to continue; it lists the original drivers restore would need.", e);
        }
        foreach (var e in doc?.Devices ?? []) j._entries[e.Address] = e;
        return j;
    }

    /// <summary>Records the original state unless the device is already journaled; true when added.</summary>
    public bool Remember(JournalEntry entry)
    {
        if (_entries.ContainsKey(entry.Address)) return false;
        _entries[entry.Address] = entry;
        return true;
    }

    /// <summary>
    /// Records a PF's SR-IOV state before vfioctl first changes it: adds the entry (with its
    /// driver, from <paramref name="device"/>) when the PF is not journaled yet, or completes an
    /// existing one that has no SR-IOV state. True when the journal changed.
    /// </summary>
    public bool RememberSriov(JournalEntry device, int numVfs, bool? autoprobe)
    {
        if (_entries.TryGetValue(device.Address, out var e))
        {
            if (e.SriovChanged) return false;
            _entries[e.Address] = e with { OriginalNumVfs = numVfs, OriginalAutoprobe = autoprobe };
            return true;
        }
        _entries[device.Address] = device with { OriginalNumVfs = numVfs, OriginalAutoprobe = autoprobe };
        return true;
    }

    /// <summary>Puts an entry back as it was (rollback of a run that changed it).</summary>
    public void Replace(JournalEntry entry) => _entries[entry.Address] = entry;

    public void SetBoundTo(PciAddress a, string? driver)
    {
        if (_entries.TryGetValue(a.ToString(), out var e)) _entries[e.Address] = e with { BoundTo = driver, ChangedUtc = DateTime.UtcNow };
    }

    public void Forget(PciAddress a) => _entries.Remove(a.ToString());

    /// <summary>Writes the journal durably.</summary>
    public void Save()
    {
        var dir = Path.GetDirectoryName(_path)!;
        Directory.CreateDirectory(dir);
        var tmp = _path + ".tmp";
        var json = JsonSerializer.SerializeToUtf8Bytes(new JournalDocument { Version = 1, Devices = [.. _entries.Values] }, JournalJson.Default.JournalDocument);
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(json);
            f.Flush(flushToDisk: true);
        }
        File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(tmp, _path, overwrite: true);
        FsyncDirectory(dir);
    }

    private static void FsyncDirectory(string dir)
    {
        try
        {
            using var h = File.OpenHandle(dir, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(h);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

}

/// <summary>The journal file's shape.</summary>
internal sealed class JournalDocument
{
    public int Version { get; set; }
    public List<JournalEntry> Devices { get; set; } = [];
}

/// <summary>
/// Source-generated serialisation: no reflection warm-up, which under emulation (the lab) cost
/// more than half a second of every bind.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(JournalDocument))]
internal sealed partial class JournalJson : JsonSerializerContext;

using System.Text.Json;

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

    /// <summary>
    /// For a virtio function: the features its virtio driver had negotiated before the first
    /// change (one '0'/'1' per bit; bit 33 is VIRTIO_F_ACCESS_PLATFORM), kept because the virtio
    /// device disappears once the function leaves virtio-pci.
    /// </summary>
    public string? OriginalVirtioFeatures { get; init; }

    /// <summary>True when vfioctl changed this PF's SR-IOV state.</summary>
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
    // A plain dictionary, sorted when listed: a SortedDictionary is compiled at run time in every command.
    private readonly Dictionary<string, JournalEntry> _entries = new(StringComparer.Ordinal);

    private Journal(string path) => _path = path;

    /// <summary>File name inside the state directory.</summary>
    public const string FileName = "journal.json";

    /// <summary>The entries in address order.</summary>
    public IReadOnlyCollection<JournalEntry> Entries
    {
        get
        {
            var list = new List<JournalEntry>(_entries.Values);
            list.Sort(static (a, b) => string.CompareOrdinal(a.Address, b.Address));
            return list;
        }
    }

    public JournalEntry? Find(PciAddress a) => _entries.GetValueOrDefault(a.ToString());

    /// <summary>Loads the journal from a directory (a real path); an absent file is an empty journal.</summary>
    public static Journal Load(string directory)
    {
        var j = new Journal(Path.Combine(directory, FileName));
        if (!File.Exists(j._path)) return j;
        IReadOnlyList<JournalEntry> entries;
        try
        {
            entries = JournalFile.Parse(File.ReadAllBytes(j._path));
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"The journal {j._path} is damaged ({e.Message}); it was left as it is. Move it aside to continue; it lists the original drivers restore would need.", e);
        }
        foreach (var e in entries) j._entries[e.Address] = e;
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

    /// <summary>Writes the journal durably (<see cref="DurableFile"/>); an empty journal removes the file.</summary>
    public void Save()
    {
        // Nothing left to restore: no file (an absent journal reads as empty, and the next
        // command has nothing to parse).
        if (_entries.Count == 0) DurableFile.Delete(_path);
        else DurableFile.Write(_path, JournalFile.Format(Entries), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

}

/// <summary>
/// The journal file: <c>{"version": 1, "devices": [ {address, originalDriver, ...} ]}</c>, camelCase,
/// indented. Written and read with the streaming JSON types directly: the serializer's first use
/// in a process (metadata, converters) cost more than half a second of every bind under emulation.
/// Every <see cref="JournalEntry"/> property must appear in both methods (a test round-trips them all).
/// </summary>
internal static class JournalFile
{
    public const int Version = 1;

    public static byte[] Format(IEnumerable<JournalEntry> entries)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, Vfio.Json.JsonEscaping.WriterOptions(indented: true)))
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            w.WriteStartArray("devices");
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("address", e.Address);
                Text(w, "originalDriver", e.OriginalDriver);
                Text(w, "originalModule", e.OriginalModule);
                Text(w, "originalOverride", e.OriginalOverride);
                if (e.Group is { } g) w.WriteNumber("group", g); else w.WriteNull("group");
                Text(w, "boundTo", e.BoundTo);
                w.WriteString("changedUtc", e.ChangedUtc);
                Text(w, "physFn", e.PhysFn);
                if (e.OriginalNumVfs is { } n) w.WriteNumber("originalNumVfs", n); else w.WriteNull("originalNumVfs");
                if (e.OriginalAutoprobe is { } p) w.WriteBoolean("originalAutoprobe", p); else w.WriteNull("originalAutoprobe");
                Text(w, "originalVirtioFeatures", e.OriginalVirtioFeatures);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Text(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }

    public static IReadOnlyList<JournalEntry> Parse(byte[] utf8)
    {
        using var doc = JsonDocument.Parse(utf8);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("the top level is not an object");
        if (root.TryGetProperty("version", out var v) && v.GetInt32() > Version)
            throw new InvalidDataException($"it is version {v.GetInt32()}, written by a newer vfioctl (this one reads {Version})");
        var list = new List<JournalEntry>();
        if (!root.TryGetProperty("devices", out var devices) || devices.ValueKind == JsonValueKind.Null) return list;
        foreach (var d in devices.EnumerateArray())
        {
            list.Add(new JournalEntry
            {
                Address = d.GetProperty("address").GetString() ?? throw new InvalidDataException("a device has a null address"),
                OriginalDriver = Text(d, "originalDriver"),
                OriginalModule = Text(d, "originalModule"),
                OriginalOverride = Text(d, "originalOverride"),
                Group = d.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.Number ? g.GetInt32() : null,
                BoundTo = Text(d, "boundTo"),
                ChangedUtc = d.TryGetProperty("changedUtc", out var t) && t.ValueKind == JsonValueKind.String ? t.GetDateTime() : default,
                PhysFn = Text(d, "physFn"),
                OriginalNumVfs = d.TryGetProperty("originalNumVfs", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32() : null,
                OriginalAutoprobe = d.TryGetProperty("originalAutoprobe", out var p) && p.ValueKind is JsonValueKind.True or JsonValueKind.False ? p.GetBoolean() : null,
                OriginalVirtioFeatures = Text(d, "originalVirtioFeatures"),
            });
        }
        return list;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

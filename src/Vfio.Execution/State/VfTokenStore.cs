using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vfio.Execution.State;

/// <summary>
/// The VF tokens of PFs, kept in <c>STATE/vf-tokens.json</c>: created mode 0600 (owner read and
/// write only; the temporary file has that mode from its creation, so the secret is never briefly
/// readable by others), written durably (temp file, fsync, rename, fsync of the directory). A file
/// others can read is refused rather than used. Nothing here logs a token or puts one in an
/// exception message; <see cref="VfToken.ToString"/> hides it anyway.
/// </summary>
public sealed class VfTokenStore
{
    /// <summary>File name inside the state directory.</summary>
    public const string FileName = "vf-tokens.json";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _path;
    private readonly SortedDictionary<string, StoredVfToken> _tokens = new(StringComparer.Ordinal);

    private VfTokenStore(string path) => _path = path;

    /// <summary>The file's real path.</summary>
    public string Path => _path;

    /// <summary>Loads the store of a state directory (a real path); an absent file is an empty store.</summary>
    public static VfTokenStore Load(string directory)
    {
        var store = new VfTokenStore(System.IO.Path.Combine(directory, FileName));
        if (!File.Exists(store._path)) return store;
        var mode = File.GetUnixFileMode(store._path);
        if ((mode & ~(OwnerOnly | UnixFileMode.UserExecute)) != 0)
            throw new InvalidDataException($"{store._path} can be read by others (mode {Convert.ToString((int)mode, 8)}): its VF tokens must be treated as known. Remove it, then generate new tokens ('vfioctl sriov token PF --generate').");
        VfTokenDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(File.ReadAllBytes(store._path), VfTokenJson.Default.VfTokenDocument);
        }
        catch (JsonException)
        {
            // The parser's message can quote the file's text, which holds secrets: say only where.
            throw new InvalidDataException($"{store._path} is damaged (not the JSON vfioctl writes); it was left as it is. Move it aside and set the tokens again.");
        }
        foreach (var t in doc?.Tokens ?? [])
        {
            if (!PciAddress.TryParse(t.Pf, out var pf) || !VfToken.TryParse(t.Token, out var token))
                throw new InvalidDataException($"{store._path} has an entry that is not a PCI address with a VF token; it was left as it is. Move it aside and set the tokens again.");
            store._tokens[pf.ToString()] = new StoredVfToken(pf, token, t.SetUtc);
        }
        return store;
    }

    /// <summary>Every stored token (the <see cref="StoredVfToken.Token"/> shows nothing unless revealed).</summary>
    public IReadOnlyCollection<StoredVfToken> Entries => _tokens.Values;

    public StoredVfToken? Find(PciAddress pf) => _tokens.GetValueOrDefault(pf.ToString());

    /// <summary>Stores a PF's token, replacing any earlier one, and saves.</summary>
    public StoredVfToken Set(PciAddress pf, VfToken token)
    {
        var entry = new StoredVfToken(pf, token, DateTime.UtcNow);
        _tokens[pf.ToString()] = entry;
        Save();
        return entry;
    }

    /// <summary>Forgets a PF's token and saves; false when there was none.</summary>
    public bool Remove(PciAddress pf)
    {
        if (!_tokens.Remove(pf.ToString())) return false;
        Save();
        return true;
    }

    private void Save()
    {
        var doc = new VfTokenDocument
        {
            Version = 1,
            Tokens = [.. _tokens.Values.Select(t => new VfTokenRecord { Pf = t.Pf.ToString(), Token = t.Token.Reveal(), SetUtc = t.SetUtc })],
        };
        DurableFile.Write(_path, JsonSerializer.SerializeToUtf8Bytes(doc, VfTokenJson.Default.VfTokenDocument), OwnerOnly);
    }
}

/// <summary>The token file's shape.</summary>
internal sealed class VfTokenDocument
{
    public int Version { get; set; }
    public List<VfTokenRecord> Tokens { get; set; } = [];
}

internal sealed class VfTokenRecord
{
    public string Pf { get; set; } = "";
    public string Token { get; set; } = "";
    public DateTime SetUtc { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(VfTokenDocument))]
internal sealed partial class VfTokenJson : JsonSerializerContext;

// probe                      print "hello" (the .NET start-up floor)
// probe threads N PATH       N writes of one byte to PATH, each on a new thread joined with a
//                            timeout (as vfioctl's SysfsKernel.Write does); prints ms in total
// probe pool N PATH          the same N writes, each a thread-pool task waited for with a timeout
// probe inline N PATH        the same N writes on the calling thread
// probe json-reflection N    first serialize + deserialize of a journal of N entries through
//                            reflection-based System.Text.Json (as vfioctl's Journal does)
// probe json-sourcegen N     the same through a source-generated JsonSerializerContext
// probe json-writer N        the same written with Utf8JsonWriter and read with JsonDocument
//                            (no serializer: what vfioctl's --json output already uses)
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using BindVfs.Probe;

if (args.Length == 0)
{
    Console.WriteLine("hello");
    return 0;
}
int n = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1;
var sw = Stopwatch.StartNew();
switch (args[0])
{
    case "threads":
        for (int i = 0; i < n; i++)
        {
            int errno = 0;
            var t = new Thread(() => errno = Writes.Once(args[2])) { IsBackground = true, Name = "probe-write" };
            t.Start();
            if (!t.Join(TimeSpan.FromSeconds(10)) || errno != 0) return 1;
        }
        break;
    case "pool":
        for (int i = 0; i < n; i++)
        {
            var task = Task.Run(() => Writes.Once(args[2]));
            if (!task.Wait(TimeSpan.FromSeconds(10)) || task.Result != 0) return 1;
        }
        break;
    case "inline":
        for (int i = 0; i < n; i++)
            if (Writes.Once(args[2]) != 0) return 1;
        break;
    case "json-reflection":
    {
        var options = new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(Journal.Make(n), options);
        var back = JsonSerializer.Deserialize<JournalDoc>(bytes, options);
        if (back?.Devices.Count != n) return 1;
        break;
    }
    case "json-sourcegen":
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(Journal.Make(n), ProbeJson.Default.JournalDoc);
        var back = JsonSerializer.Deserialize(bytes, ProbeJson.Default.JournalDoc);
        if (back?.Devices.Count != n) return 1;
        break;
    }
    case "json-writer":
    {
        var bytes = Journal.Write(Journal.Make(n));
        using var doc = JsonDocument.Parse(bytes);
        if (doc.RootElement.GetProperty("devices").GetArrayLength() != n) return 1;
        break;
    }
    default:
        Console.Error.WriteLine($"probe: unknown mode '{args[0]}'");
        return 2;
}
Console.WriteLine($"ms={sw.Elapsed.TotalMilliseconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)}");
return 0;

namespace BindVfs.Probe
{
    internal static class Writes
    {
        /// <summary>open + write(1 byte) + close, returning the errno (0: written).</summary>
        public static int Once(string path)
        {
            try
            {
                using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
                f.WriteByte((byte)'\n');
                return 0;
            }
            catch (IOException e)
            {
                return e.HResult & 0xffff;
            }
        }
    }

    /// <summary>The shape of vfioctl's journal.json (same property types), not its code.</summary>
    internal sealed record Entry
    {
        public required string Address { get; init; }
        public string? OriginalDriver { get; init; }
        public string? OriginalModule { get; init; }
        public string? OriginalOverride { get; init; }
        public int? Group { get; init; }
        public string? BoundTo { get; init; }
        public DateTime ChangedUtc { get; init; }
    }

    internal sealed class JournalDoc
    {
        public int Version { get; set; }
        public List<Entry> Devices { get; set; } = [];
    }

    internal static partial class Journal
    {
        public static JournalDoc Make(int n) => new()
        {
            Version = 1,
            Devices = [.. Enumerable.Range(0, n).Select(i => new Entry
            {
                Address = $"0000:01:{i / 8:x2}.{i % 8}", OriginalDriver = null, Group = 8 + i, BoundTo = "vfio-pci", ChangedUtc = DateTime.UtcNow,
            })],
        };
    }

    internal static partial class Journal
    {
        public static byte[] Write(JournalDoc d)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteNumber("version", d.Version);
                w.WriteStartArray("devices");
                foreach (var e in d.Devices)
                {
                    w.WriteStartObject();
                    w.WriteString("address", e.Address);
                    Str(w, "originalDriver", e.OriginalDriver);
                    Str(w, "originalModule", e.OriginalModule);
                    Str(w, "originalOverride", e.OriginalOverride);
                    if (e.Group is { } g) w.WriteNumber("group", g); else w.WriteNull("group");
                    Str(w, "boundTo", e.BoundTo);
                    w.WriteString("changedUtc", e.ChangedUtc);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            return buffer.WrittenSpan.ToArray();
        }

        private static void Str(Utf8JsonWriter w, string name, string? value)
        {
            if (value is null) w.WriteNull(name); else w.WriteString(name, value);
        }
    }

    [JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(JournalDoc))]
    internal sealed partial class ProbeJson : JsonSerializerContext;
}

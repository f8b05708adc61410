using Vfio.Json;
using System.Text.Json;

namespace Vfioctl.Output;

/// <summary>Writes indented UTF-8 JSON to a text writer (the schema is in docs/json-schema.md).</summary>
internal static class Json
{
    public static void Write(TextWriter output, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonEscaping.WriterOptions(indented: true)))
            body(w);
        output.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        output.WriteLine();
    }

    /// <summary>The fields every result of a change starts with.</summary>
    public static void Outcome(this Utf8JsonWriter w, bool succeeded, string? error, bool rolledBack)
    {
        w.WriteBoolean("succeeded", succeeded);
        w.StringOrNull("error", error);
        w.WriteBoolean("rolledBack", rolledBack);
    }

    public static void StringOrNull(this Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    public static void NumberOrNull(this Utf8JsonWriter w, string name, int? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    public static void Strings(this Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    public static void BoolOrNull(this Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v) w.WriteBoolean(name, v);
        else w.WriteNull(name);
    }

    /// <summary>An array of processes: <c>[{"pid": N, "command": "..."}]</c>.</summary>
    public static void Processes(this Utf8JsonWriter w, string name, IEnumerable<Vfio.Host.Model.ProcessRef> processes)
    {
        w.WriteStartArray(name);
        foreach (var p in processes)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", p.Pid);
            w.StringOrNull("command", p.Command);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static string? Hex4(ushort? v) => v?.ToString("x4");
}

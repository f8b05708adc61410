using System.Text.Json;
using Vfio.Policy.Assignment;

namespace Vfioctl.Output;

/// <summary>
/// Refusals, the same for every plan (bind, SR-IOV, restore, unbind): a "Refused:" list with the
/// --force hint for people, and the <c>refusals</c> array in JSON.
/// </summary>
internal static class RefusalWriter
{
    public static void WriteText(TextWriter o, IReadOnlyCollection<Refusal> refusals, bool force)
    {
        if (refusals.Count == 0) return;
        o.WriteLine(force ? "Refusals (--force overrides the ones marked 'overridden'):" : "Refused:");
        foreach (var r in refusals)
            o.WriteLine($"  {(r.Overridable && force ? "overridden" : "refused")}: {r.Reason}");
        if (!force && refusals.All(r => r.Overridable))
            o.WriteLine("Every refusal is a safety check: --force overrides them if you are sure.");
    }

    /// <summary>The <c>refusals</c> array: address, reason, overridable.</summary>
    public static void WriteJson(Utf8JsonWriter w, IEnumerable<Refusal> refusals)
    {
        w.WriteStartArray("refusals");
        foreach (var r in refusals)
        {
            w.WriteStartObject();
            w.StringOrNull("address", r.Address?.ToString());
            w.WriteString("reason", r.Reason);
            w.WriteBoolean("overridable", r.Overridable);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}

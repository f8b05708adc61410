using System.CommandLine;
using System.Text;
using System.Text.Json;
using Vfio.Lab;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl lab topologies</c>: the named guest machines and their PCI functions.</summary>
internal static class LabTopologiesCommand
{
    public static Command Create()
    {
        var command = new Command("topologies", "List the lab's topologies: their devices, guest PCI addresses and IOMMU groups");
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(GlobalOptions.Json)) output.WriteLine(ToJson());
            else WriteText(output);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteText(TextWriter output)
    {
        foreach (var t in Topologies.All)
        {
            output.WriteLine($"{t.Name}{(t == Topologies.Default ? " (default)" : "")}: {t.Description}");
            int model = Math.Max(5, t.Devices.Max(d => d.Model.Length));
            int role = Math.Max(4, t.Devices.Max(d => d.Role.Length));
            output.WriteLine($"  {"ADDRESS",-12}  {"ID",-9}  {"MODEL".PadRight(model)}  {"ROLE".PadRight(role)}  IOMMU GROUP");
            foreach (var d in t.Devices)
            {
                output.WriteLine($"  {d.Address,-12}  {d.Id,-9}  {d.Model.PadRight(model)}  {d.Role.PadRight(role)}  {d.Group}");
            }
            output.WriteLine();
        }
        output.WriteLine($"Kernels: {string.Join(", ", KernelSeries.All.Select(k => k.Name + (k == KernelSeries.Default ? " (default)" : "")))}.");
        output.WriteLine("Run a command in one: vfioctl lab run --topology NAME -- COMMAND...");
    }

    private static string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Vfio.Json.JsonEscaping.WriterOptions(indented: true)))
        {
            w.WriteStartObject();
            w.WriteString("default", Topologies.Default.Name);
            w.WriteStartArray("kernels");
            foreach (var k in KernelSeries.All) w.WriteStringValue(k.Name);
            w.WriteEndArray();
            w.WriteStartArray("topologies");
            foreach (var t in Topologies.All)
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteString("description", t.Description);
                w.WriteStartArray("devices");
                foreach (var d in t.Devices)
                {
                    w.WriteStartObject();
                    w.WriteString("address", d.Address);
                    w.WriteString("id", d.Id);
                    w.WriteString("model", d.Model);
                    w.WriteString("role", d.Role);
                    w.WriteString("group", d.Group);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("qemuArguments");
                foreach (var a in t.QemuArguments(id => $"RUNDIR/{id}.img")) w.WriteStringValue(a);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

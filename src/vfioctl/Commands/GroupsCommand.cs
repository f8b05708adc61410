using Vfio.Execution.Operations;
using System.CommandLine;
using Spectre.Console;
using Vfio.Policy.Viability;
using Vfioctl.Output;

namespace Vfioctl.Commands;

/// <summary><c>vfioctl groups</c>: every IOMMU group, its members and its verdict with reasons.</summary>
internal static class GroupsCommand
{
    private static readonly Argument<int[]> Ids = new("group") { Arity = ArgumentArity.ZeroOrMore, Description = "Only these group numbers" };

    public static Command Create()
    {
        var cmd = new Command("groups", "Show IOMMU groups as a tree, with whether each can go to userspace and why");
        cmd.Arguments.Add(Ids);
        cmd.SetAction(parse => CommandActions.WithHost(parse, (term, view, json) => Run(parse, term, view, json)));
        return cmd;
    }

    private static int Run(ParseResult parse, Terminal term, HostView view, bool json)
    {
        var wanted = parse.GetValue(Ids) ?? [];
        var groups = view.Host.Groups.Where(g => wanted.Length == 0 || wanted.Contains(g.Id)).ToList();
        foreach (var id in wanted.Where(id => groups.All(g => g.Id != id)))
            throw new NotFoundException($"No IOMMU group {id} on this host: see 'vfioctl groups' for the groups there are.");

        if (json)
        {
            Json.Write(term.Out, w =>
            {
                w.WriteStartObject();
                DeviceJson.WriteIommu(w, view);
                w.StringOrNull("kernel", view.Host.KernelRelease);
                w.WriteString("rules", (view.Verdicts.Values.FirstOrDefault()?.Rules ?? ViabilityRulesFor.Kernel(view.Host.Kernel)) == ViabilityRules.Legacy ? "legacy" : "driver-managed-dma");
                w.WriteStartArray("groups");
                foreach (var g in groups) DeviceJson.WriteGroup(w, view, g, view.Verdicts[g.Id]);
                w.WriteEndArray();
                w.Strings("warnings", view.Host.Warnings);
                w.WriteEndObject();
            });
            return ExitCodes.Success;
        }

        if (!view.Host.IommuEnabled)
        {
            term.Out.WriteLine(view.Diagnosis);
            return ExitCodes.Success;
        }

        var tree = new Tree($"IOMMU groups ({groups.Count}, kernel {Markup.Escape(view.Host.KernelRelease ?? "unknown")}"
            + (view.Host.Iommufd ? "; iommufd: /dev/iommu" : "") + ")");
        foreach (var g in groups)
        {
            var v = view.Verdicts[g.Id];
            var title = $"Group {g.Id}" + (g.Type is { } t ? $" ({Markup.Escape(t)})" : "") + " " + Styles.Verdict(HostView.StatusText(v.Status))
                + (g.VfioNode is { } node ? $" {Markup.Escape(node)}" : "");
            var node1 = tree.AddNode(title);
            foreach (var a in g.Devices)
            {
                var d = view.Host.FindDevice(a);
                node1.AddNode(d is null
                    ? $"{a} [grey](not in /sys/bus/pci/devices)[/]"
                    : Markup.Escape($"{a} {view.DescribeClass(d)}: {view.Describe(d)}") + $" [blue]{Markup.Escape(d.Driver ?? "no driver")}[/]"
                      + (view.Host.CdevOf(d) is { } cdev ? $" {Markup.Escape(cdev)}" : ""));
            }
            foreach (var r in v.Reasons) node1.AddNode($"[red]blocked:[/] {Markup.Escape(r)}");
            foreach (var n in v.Notes) node1.AddNode($"[yellow]note:[/] {Markup.Escape(n)}");
            foreach (var i in v.IsolationReasons)
                node1.AddNode((v.Isolation == Isolation.NotReal ? "[red]isolation not real:[/] " : "[yellow]isolation unknown:[/] ") + Markup.Escape(i));
        }
        term.Console.Write(tree);
        return ExitCodes.Success;
    }
}

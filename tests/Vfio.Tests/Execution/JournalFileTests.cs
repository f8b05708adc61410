using System.Text;
using Vfio.Execution.State;

namespace Vfio.Tests.Execution;

/// <summary>The journal restore depends on: every field survives a save and a load, old files still load, damage is reported.</summary>
public class JournalFileTests
{
    private static JournalEntry Full() => new()
    {
        Address = "0000:01:00.1",
        OriginalDriver = "nvme",
        OriginalModule = "nvme",
        OriginalOverride = "pci-stub",
        Group = 17,
        BoundTo = "vfio-pci",
        ChangedUtc = new DateTime(2026, 11, 21, 7, 30, 12, 345, DateTimeKind.Utc),
        PhysFn = "0000:01:00.0",
        OriginalNumVfs = 4,
        OriginalAutoprobe = true,
        OriginalVirtioFeatures = "0000000000000000000000000000000001",
    };

    [Fact]
    public void Every_property_of_an_entry_survives_a_round_trip()
    {
        // A property added to JournalEntry but not to the file format would be lost on restore:
        // this fails unless every one of them is set here and comes back.
        var full = Full();
        foreach (var p in typeof(JournalEntry).GetProperties().Where(p => p.Name != "EqualityContract"))
            Assert.True(p.GetValue(full) is not null && !Equals(p.GetValue(full), p.PropertyType.IsValueType ? Activator.CreateInstance(p.PropertyType) : null),
                $"the test's entry leaves {p.Name} unset: set it in Full()");
        var back = Assert.Single(JournalFile.Parse(JournalFile.Format([full])));
        Assert.Equal(full, back);
    }

    [Fact]
    public void Nulls_stay_null_and_the_file_is_the_documented_camel_case_shape()
    {
        var entry = new JournalEntry { Address = "0000:00:02.0", ChangedUtc = DateTime.UnixEpoch };
        var text = Encoding.UTF8.GetString(JournalFile.Format([entry]));
        Assert.Contains("\"version\": 1", text);
        Assert.Contains("\"originalDriver\": null", text);
        Assert.Equal(entry, Assert.Single(JournalFile.Parse(Encoding.UTF8.GetBytes(text))));
    }

    [Fact]
    public void A_journal_written_by_the_serializer_of_earlier_versions_loads()
    {
        // The shape System.Text.Json's source generator wrote (vfioctl before this format was hand-written).
        var old = """
            {
              "version": 1,
              "devices": [
                {
                  "address": "0000:03:01.0",
                  "originalDriver": "e1000",
                  "originalModule": "e1000",
                  "originalOverride": null,
                  "group": 4,
                  "boundTo": "pci-stub",
                  "changedUtc": "2026-11-20T10:00:00.1234567Z"
                }
              ]
            }
            """;
        var e = Assert.Single(JournalFile.Parse(Encoding.UTF8.GetBytes(old)));
        Assert.Equal(("e1000", 4, "pci-stub"), (e.OriginalDriver, e.Group, e.BoundTo));
    }

    [Fact]
    public void A_damaged_journal_is_reported_and_left_in_place()
    {
        var dir = Directory.CreateTempSubdirectory("vfioctl-journal-").FullName;
        try
        {
            var path = Path.Combine(dir, Journal.FileName);
            File.WriteAllText(path, "{\"version\": 1, \"devices\": [ {\"address\": \"0000:00:02.0\", ");
            var e = Assert.Throws<InvalidDataException>(() => Journal.Load(dir));
            Assert.Contains("damaged", e.Message);
            Assert.True(File.Exists(path));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

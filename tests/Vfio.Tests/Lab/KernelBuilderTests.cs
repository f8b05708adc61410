using Vfio.Lab;

namespace Vfio.Tests.Lab;

/// <summary>The 7.3 recipe: its config fragment is shipped, parsed, and checked against what olddefconfig kept.</summary>
public sealed class KernelBuilderTests
{
    private static KernelRecipe Recipe => KernelSeries.Linux73.Recipe!;

    [Fact]
    public void The_73_series_is_built_from_debian_s_linux_source_with_iommufd_the_cdev_and_the_variant_driver()
    {
        Assert.Null(KernelSeries.Linux612.Recipe);
        Assert.Equal("linux-source-7.3", Recipe.SourcePackage);
        Assert.Equal("trixie-backports", Recipe.Suite);
        var settings = Recipe.Settings().ToDictionary(s => s.Name, s => s.Value);
        Assert.Equal("m", settings["CONFIG_IOMMUFD"]);
        Assert.Equal("y", settings["CONFIG_VFIO_DEVICE_CDEV"]);
        Assert.Equal("y", settings["CONFIG_VFIO_CONTAINER"]);
        Assert.Equal("n", settings["CONFIG_IOMMUFD_VFIO_CONTAINER"]);
        Assert.Equal("y", settings["CONFIG_VFIO_NOIOMMU"]);
        Assert.Equal("m", settings["CONFIG_VIRTIO_VFIO_PCI"]);
        Assert.Equal("y", settings["CONFIG_DEBUG_INFO_NONE"]);
        Assert.Matches("^[0-9a-f]{12}$", Recipe.ConfigHash);
        Assert.Equal(Recipe.ConfigHash, KernelSeries.Linux73.Recipe!.ConfigHash);
    }

    [Fact]
    public void A_config_that_kept_every_setting_passes_and_one_that_dropped_a_setting_names_it()
    {
        var kept = string.Join('\n', Recipe.Settings().Select(s => s.Value == "n" ? $"# {s.Name} is not set" : $"{s.Name}={s.Value}"));
        KernelBuilder.CheckConfig(Recipe, "CONFIG_OTHER=y\n" + kept);

        var dropped = kept.Replace("CONFIG_VFIO_DEVICE_CDEV=y", "# CONFIG_VFIO_DEVICE_CDEV is not set", StringComparison.Ordinal)
            .Replace("CONFIG_VIRTIO_VFIO_PCI=m\n", "", StringComparison.Ordinal);
        var e = Assert.Throws<LabException>(() => KernelBuilder.CheckConfig(Recipe, dropped));
        Assert.Contains("CONFIG_VFIO_DEVICE_CDEV=y (got n)", e.Message);
        Assert.Contains("CONFIG_VIRTIO_VFIO_PCI=m (got not set)", e.Message);
    }
}

using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Userspace;

/// <summary>
/// The MMIO fast path takes no reference per access, so Dispose must stay safe without one: it closes
/// the fast path, then swaps the BAR window for scratch memory instead of unmapping it.
/// </summary>
[Trait("topology", "basic")]
public sealed class MmioRegionDisposeTests
{
    [Fact]
    public void Reads_racing_dispose_see_the_register_or_scratch_then_object_disposed_and_the_device_is_let_go()
    {
        Guest.Require("basic");
        using var bound = VfioBinding.ToVfio(Edu.Alone);
        using (var session = VfioSession.Open(Edu.Alone))
        {
            var bar = session.Device.MapBar(0);
            Assert.Equal(0x010000edu, bar.Read32(Edu.Id));
            using var started = new ManualResetEventSlim();
            var seen = new HashSet<uint>();
            Exception? ended = null;
            long reads = 0;
            var reader = new Thread(() =>
            {
                started.Set();
                try
                {
                    while (true) { seen.Add(bar.Read32(Edu.Id)); reads++; }
                }
                catch (Exception e) { ended = e; }
            });
            reader.Start();
            started.Wait(TestContext.Current.CancellationToken);
            Thread.Sleep(200);
            bar.Dispose();
            Assert.True(reader.Join(TimeSpan.FromSeconds(30)), "the reader did not stop after Dispose");

            Assert.IsType<ObjectDisposedException>(ended);
            Assert.True(reads > 0);
            // The device's id while mapped; at most the zeros of the scratch page in the race window.
            Assert.Subset(new HashSet<uint> { 0x010000ed, 0 }, seen);
            Assert.Throws<ObjectDisposedException>(() => bar.Read32(Edu.Id));
            Assert.Throws<ObjectDisposedException>(() => bar.Write32(Edu.Liveness, 1));
        }
        // The scratch memory left in the window's place does not hold the device file: a new session
        // maps the BAR again, and the binding's unbind at the end does not block (an open device file
        // would block it: an unbind waits only while a device file is open, kernel-facts section 2).
        using var again = VfioSession.Open(Edu.Alone);
        using var bar2 = again.Device.MapBar(0);
        Assert.Equal(0x010000edu, bar2.Read32(Edu.Id));
    }
}

using System.IO.Pipes;
using System.Text;
using Vfioctl.Interop;

namespace Vfio.Tests.Cli;

public class StandardStreamTests
{
    [Fact]
    public void Output_and_errors_on_one_file_append_in_order_instead_of_overwriting_each_other()
    {
        // 'vfioctl ... > log 2>&1': both descriptors share one file offset.
        var path = Path.GetTempFileName();
        try
        {
            using (var handle = File.OpenHandle(path, FileMode.Truncate, FileAccess.Write))
            {
                int fd = (int)handle.DangerousGetHandle();
                var output = new StandardStream(fd);
                var error = new StandardStream(fd);
                output.Write("plan\n"u8);
                error.Write("warning: x\n"u8);
                output.Write("done\n"u8);
            }
            Assert.Equal("plan\nwarning: x\ndone\n", File.ReadAllText(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task A_large_write_arrives_whole_through_a_pipe()
    {
        using var server = new AnonymousPipeServerStream(PipeDirection.In);
        var data = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("0123456789abcdef", 64 * 1024 / 16 * 3))); // 192 KiB > the pipe buffer
        var reader = Task.Run(() => { var ms = new MemoryStream(); server.CopyTo(ms); return ms.ToArray(); });
        using (var client = server.ClientSafePipeHandle)
        {
            new StandardStream((int)client.DangerousGetHandle()).Write(data);
        }
        server.DisposeLocalCopyOfClientHandle();
        Assert.Equal(data, await reader);
    }

    [Fact]
    public void A_reader_that_went_away_silences_the_output_instead_of_failing_the_command()
    {
        // 'vfioctl list | head -1': head exits, the next write gets EPIPE (the runtime ignores SIGPIPE).
        var server = new AnonymousPipeServerStream(PipeDirection.In);
        using var client = server.ClientSafePipeHandle;
        var stream = new StandardStream((int)client.DangerousGetHandle());
        stream.Write("first\n"u8);
        server.Dispose(); // the read end is closed
        stream.Write("second\n"u8);
        stream.Write("third\n"u8);
    }

    [Fact]
    public void Other_write_errors_are_reported_with_errno()
    {
        using var handle = File.OpenHandle("/dev/full", FileMode.Open, FileAccess.Write);
        var stream = new StandardStream((int)handle.DangerousGetHandle());
        var ex = Assert.Throws<IOException>(() => stream.Write("x"u8));
        Assert.Contains("errno 28", ex.Message); // ENOSPC
    }
}

using Vfio.Userspace;

namespace Vfio.Tests.Api;

/// <summary>
/// What library users compile against is recorded in the repository: a change to the public API of
/// Vfio.Userspace (the driver library) or Vfio.Core (the value types it exposes) fails here until the
/// approved file is updated, so every change is reviewed as a diff of that file.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Vfio_Userspace_public_api_is_the_approved_one() =>
        ApiApproval.Verify("Vfio.Userspace", ApiApproval.Render(typeof(VfioSession).Assembly), ApiApproval.Directory);

    [Fact]
    public void Vfio_Core_public_api_is_the_approved_one() =>
        ApiApproval.Verify("Vfio.Core", ApiApproval.Render(typeof(PciAddress).Assembly), ApiApproval.Directory);

    [Fact]
    public void A_difference_fails_writes_the_received_file_and_says_how_to_approve()
    {
        var dir = Directory.CreateTempSubdirectory("api-approval-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Lib.approved.txt"), "namespace Lib\n{\n    public class A { }\n}\n");
            string changed = "namespace Lib\n{\n    public class B { }\n}\n";

            var e = Assert.ThrowsAny<Exception>(() => ApiApproval.Verify("Lib", changed, dir));

            string received = Path.Combine(dir, "Lib.received.txt");
            Assert.Equal(changed, File.ReadAllText(received));
            Assert.Contains("- public class A { }", e.Message);
            Assert.Contains("+ public class B { }", e.Message);
            Assert.Contains($"cp {received} {Path.Combine(dir, "Lib.approved.txt")}", e.Message);

            // Approving (the copy the message gives) makes it pass and removes the received file.
            File.Copy(received, Path.Combine(dir, "Lib.approved.txt"), overwrite: true);
            ApiApproval.Verify("Lib", changed, dir);
            Assert.False(File.Exists(received));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_missing_approved_file_fails()
    {
        var dir = Directory.CreateTempSubdirectory("api-approval-").FullName;
        try
        {
            var e = Assert.ThrowsAny<Exception>(() => ApiApproval.Verify("Lib", "namespace Lib { }\n", dir));
            Assert.Contains("there is no approved public API for Lib", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

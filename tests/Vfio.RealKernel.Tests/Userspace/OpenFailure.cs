using Vfio.Userspace;

namespace Vfio.RealKernel.Tests.Userspace;

internal static class OpenFailure
{
    /// <summary>
    /// The VfioException an open must throw. An open that unexpectedly succeeds is disposed before the
    /// test fails: a leaked device fd would block the unbind that restores the device, and hang the guest.
    /// </summary>
    public static VfioException Expect(Func<IDisposable> open)
    {
        IDisposable opened;
        try
        {
            opened = open();
        }
        catch (VfioException e)
        {
            return e;
        }
        opened.Dispose();
        Assert.Fail("the open succeeded where it should have failed");
        throw new InvalidOperationException();
    }
}

using System.Runtime.InteropServices;
using Vfio.Userspace.Interop;

namespace Vfio.Userspace;

/// <summary>
/// One background thread per device that polls the eventfds of vectors someone is waiting on, plus
/// a control eventfd that wakes it when the set changes or it must stop. Completes waiters from
/// the poll thread (continuations run asynchronously, never inline on it).
/// </summary>
internal sealed unsafe class InterruptPoller : IDisposable
{
    private readonly Func<IReadOnlyList<InterruptVector>> _vectors;
    private readonly FileDescriptorHandle _control;
    private readonly Thread _thread;
    private volatile bool _stop;

    public InterruptPoller(string device, Func<IReadOnlyList<InterruptVector>> vectors)
    {
        _vectors = vectors;
        _control = EventFd.Create(device);
        _thread = new Thread(Loop) { IsBackground = true, Name = "vfio-irq " + device };
        _thread.Start();
    }

    /// <summary>Makes the thread rebuild its poll set.</summary>
    public void Wake() => EventFd.Signal(_control);

    private void Loop()
    {
        var handles = new List<InterruptVector>();
        while (!_stop)
        {
            handles.Clear();
            foreach (var v in _vectors())
                if (v.HasWaiters) handles.Add(v);
            var fds = new pollfd[handles.Count + 1];
            var added = new bool[handles.Count + 1];
            try
            {
                _control.DangerousAddRef(ref added[0]);
                fds[0] = new pollfd { fd = (int)_control.DangerousGetHandle(), events = Libc.POLLIN };
                for (int i = 0; i < handles.Count; i++)
                {
                    // A reference on each eventfd: a vector disabled meanwhile cannot close (and reuse) the fd under poll.
                    try { handles[i].EventFd.DangerousAddRef(ref added[i + 1]); }
                    catch (ObjectDisposedException) { }
                    fds[i + 1] = new pollfd { fd = added[i + 1] ? (int)handles[i].EventFd.DangerousGetHandle() : -1, events = Libc.POLLIN };
                }
                int r;
                fixed (pollfd* p = fds) r = Libc.Poll(p, (nuint)fds.Length, -1);
                if (r < 0)
                {
                    if (ErrnoInfo.FromLastPInvokeError() == Errno.EINTR) continue;
                    Thread.Sleep(10);
                    continue;
                }
                if ((fds[0].revents & Libc.POLLIN) != 0) EventFd.TryRead(_control, out _);
                for (int i = 0; i < handles.Count; i++)
                    if (fds[i + 1].revents != 0) handles[i].OnReadable();
            }
            finally
            {
                if (added[0]) _control.DangerousRelease();
                for (int i = 0; i < handles.Count; i++)
                    if (added[i + 1]) handles[i].EventFd.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        Wake();
        if (Thread.CurrentThread != _thread) _thread.Join();
        _control.Dispose();
    }
}

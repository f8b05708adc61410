namespace Vfio.Lab;

/// <summary>Where the guest is, as read from its console.</summary>
internal enum GuestPhase
{
    /// <summary>Booting and setting up; the command has not started.</summary>
    Boot,

    /// <summary>The command is running (between the begin and end markers).</summary>
    Command,

    /// <summary>The command finished; its status is known.</summary>
    Finished,
}

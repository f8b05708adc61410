namespace Vfioctl;

/// <summary>The process exit codes every vfioctl command uses (docs/architecture.md, "What every front end keeps").</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Refused = 3;
}

using System.Collections.Immutable;
using Vfio.Execution.Persistence;
using Vfio.Host.Model;
using Vfio.Host.Reading;
using Vfio.Policy.Diagnosis;
using Vfio.Policy.Persistence;

namespace Vfio.Execution.Operations;

/// <summary>What <c>vfioctl doctor</c> is asked: the whole host, or some devices besides it.</summary>
public sealed record DoctorRequest
{
    public ImmutableArray<PciAddress> Targets { get; init; } = [];
    /// <summary>The declared-state file to check, when there is one.</summary>
    public DeclaredStateFile? Declared { get; init; }
}

/// <summary>
/// Doctor (docs/doctor.md): reads everything that decides whether devices can go to userspace (the
/// host with holders, details and VFIO fd users; interrupt remapping, modules and limits; the
/// journal, the stored VF tokens and a dry-run apply of the declared state) and lets policy judge.
/// Writes nothing and takes no lock: the state files are replaced atomically, so a read sees
/// either version.
/// </summary>
public static class DoctorOperation
{
    public static OperationResult<DoctorReport, object> Run(DoctorRequest request, OperationServices services)
    {
        var files = services.Kernel.Files;
        var host = HostReader.Read(files, new HostReadOptions { GroupUsers = true });
        foreach (var a in request.Targets) HostReads.RequireDevice(host, a);
        var warnings = new List<string>();
        var support = HostSupportReader.Read(files, host.KernelRelease, host.CommandLine);

        ImmutableArray<JournaledDevice>? journal = null;
        var tokens = ImmutableHashSet<PciAddress>.Empty;
        string? stateProblem = null;
        bool stateDamaged = false;
        try
        {
            var state = services.State;
            journal = [.. state.LoadJournal().Entries
                .Select(e => PciAddress.TryParse(e.Address, out var a) ? new JournaledDevice(a, e.OriginalDriver, e.BoundTo) : null)
                .OfType<JournaledDevice>()];
            tokens = [.. state.LoadTokens().Entries.Select(t => t.Pf)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            stateProblem = e.Message;
            stateDamaged = e is InvalidDataException;
        }

        string? declaredSource = null, declaredProblem = null;
        var declared = ImmutableArray<DeclaredEntryState>.Empty;
        if (request.Declared is { Exists: true } file)
        {
            declaredSource = file.HostPath;
            try
            {
                var applied = ApplyOperation.Run(file, new ApplyRequest { DryRun = true }, services);
                declared = [.. applied.Entries.Select(e => new DeclaredEntryState(e.Address, e.Line,
                    InPlace: e.Status == ApplyStatus.InPlace, Refused: e.IsProblem, e.Detail))];
            }
            catch (Exception e) when (e is DeclaredStateFormatException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                declaredProblem = e.Message;
            }
        }

        var report = Doctor.Diagnose(new DoctorInput
        {
            Host = host,
            Support = support,
            Aliases = request.Targets.IsEmpty ? Vfio.Policy.Drivers.ModuleAliases.Empty : HostReads.Aliases(files, host, warnings),
            Targets = request.Targets,
            Journal = journal,
            StateProblem = stateProblem,
            StateDamaged = stateDamaged,
            StoredTokens = tokens,
            DeclaredSource = declaredSource,
            Declared = declared,
            DeclaredProblem = declaredProblem,
        });
        return new OperationResult<DoctorReport, object>(host, report, null, [.. warnings]);
    }
}

namespace Vfio.Policy.Persistence;

/// <summary>The declared-state file cannot be used: <see cref="Exception.Message"/> is <c>FILE:LINE: what is wrong</c> and what to do.</summary>
public sealed class DeclaredStateFormatException(string file, int line, string problem)
    : Exception($"{file}:{line}: {problem}")
{
    public string File { get; } = file;
    /// <summary>1-based line of the problem.</summary>
    public int Line { get; } = line;
    public string Problem { get; } = problem;
}

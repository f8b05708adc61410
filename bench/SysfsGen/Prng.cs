namespace SysfsGen;

/// <summary>
/// SplitMix64: a tiny PRNG whose sequence is fixed by this code, so a seed gives the same tree
/// on every .NET version (System.Random's seeded algorithm is an implementation detail).
/// </summary>
internal sealed class Prng(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, max).</summary>
    public int Below(int max) => max <= 1 ? 0 : (int)(Next() % (ulong)max);

    /// <summary>True with the given probability in percent.</summary>
    public bool Percent(int p) => Below(100) < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Below(items.Count)];

    /// <summary>A fresh generator derived from this one and a label, so adding draws in one
    /// place does not shift every later decision.</summary>
    public Prng Fork(string label)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in label) h = (h ^ c) * 1099511628211UL;
        return new Prng(Next() ^ h);
    }
}

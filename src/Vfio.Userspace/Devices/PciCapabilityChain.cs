using System.Collections;

namespace Vfio.Userspace;

/// <summary>
/// The capabilities a walk found, in chain order, and why the walk stopped early if it did (a loop,
/// a pointer outside configuration space or into the header, a list longer than the space allows).
/// A malformed chain never throws or hangs: the capabilities before the fault are kept.
/// </summary>
public sealed class PciCapabilityChain<T> : IReadOnlyList<T>
{
    private readonly IReadOnlyList<T> _items;

    internal PciCapabilityChain(IReadOnlyList<T> items, string? problem)
    {
        _items = items;
        Problem = problem;
    }

    /// <summary>Why the walk stopped before the end of the list, or null when the chain was well formed.</summary>
    public string? Problem { get; }

    /// <inheritdoc />
    public T this[int index] => _items[index];

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

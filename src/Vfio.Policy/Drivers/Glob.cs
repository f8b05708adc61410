namespace Vfio.Policy.Drivers;

/// <summary>
/// fnmatch-style matching as modprobe does for <c>modules.alias</c>: <c>*</c>, <c>?</c> and
/// <c>[...]</c> classes; everything else literal.
/// </summary>
internal static class Glob
{
    public static bool Match(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, starP = -1, starT = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length)
            {
                char c = pattern[p];
                if (c == '*') { starP = p++; starT = t; continue; }
                if (c == '?') { p++; t++; continue; }
                if (c == '[')
                {
                    int end = pattern[(p + 1)..].IndexOf(']');
                    if (end > 0 && ClassMatches(pattern.Slice(p + 1, end), text[t]))
                    {
                        p += end + 2; t++; continue;
                    }
                }
                else if (c == text[t]) { p++; t++; continue; }
            }
            if (starP < 0) return false;
            p = starP + 1;
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    private static bool ClassMatches(ReadOnlySpan<char> cls, char c)
    {
        bool negate = cls.Length > 0 && (cls[0] == '!' || cls[0] == '^');
        if (negate) cls = cls[1..];
        bool hit = false;
        for (int i = 0; i < cls.Length; i++)
        {
            if (i + 2 < cls.Length && cls[i + 1] == '-')
            {
                if (c >= cls[i] && c <= cls[i + 2]) hit = true;
                i += 2;
            }
            else if (cls[i] == c) hit = true;
        }
        return hit != negate;
    }
}

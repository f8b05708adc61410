using System.Globalization;
using System.Net;
using Vfio.Host.Sysfs;

namespace Vfio.Host.Reading;

/// <summary>
/// Addresses and routes per interface from procfs alone, so a snapshot can replay them:
/// IPv6 addresses from <c>if_inet6</c>, routes from <c>route</c> and <c>ipv6_route</c>, and IPv4
/// addresses from the LOCAL entries of <c>fib_trie</c>, matched to the interface whose connected
/// route contains them.
/// </summary>
internal sealed class NetworkTables
{
    private readonly Dictionary<string, List<string>> _addresses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _routes = new(StringComparer.Ordinal);

    public IReadOnlyList<string> AddressesOf(string iface) => _addresses.TryGetValue(iface, out var l) ? l : [];
    public int RouteCount(string iface) => _routes.GetValueOrDefault(iface);

    public static NetworkTables Read(HostFiles files)
    {
        var t = new NetworkTables();
        var v4Routes = new List<(string Iface, uint Dest, uint Mask)>();

        // /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ... (hex, host byte order = little endian)
        if (files.ReadAllText("/proc/net/route") is { } route)
        {
            foreach (var line in route.Split('\n').Skip(1))
            {
                var f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 8) continue;
                if (!uint.TryParse(f[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var dest) ||
                    !uint.TryParse(f[7], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var mask)) continue;
                v4Routes.Add((f[0], dest, mask));
                t._routes[f[0]] = t._routes.GetValueOrDefault(f[0]) + 1;
            }
        }

        // /proc/net/ipv6_route: DEST PLEN SRC SLEN NEXTHOP METRIC REF USE FLAGS IFACE
        if (files.ReadAllText("/proc/net/ipv6_route") is { } route6)
        {
            foreach (var line in route6.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 10 || f[9] == "lo") continue;
                var dest = f[0];
                // Every up interface has fe80::/64 and multicast routes; they say nothing about use.
                if (dest.StartsWith("fe80", StringComparison.Ordinal) || dest.StartsWith("ff", StringComparison.Ordinal)) continue;
                if (f[1] == "80") continue; // /128 host entries for local addresses
                t._routes[f[9]] = t._routes.GetValueOrDefault(f[9]) + 1;
            }
        }

        // /proc/net/if_inet6: ADDR IFINDEX PLEN SCOPE FLAGS IFNAME
        if (files.ReadAllText("/proc/net/if_inet6") is { } inet6)
        {
            foreach (var line in inet6.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 6 || f[0].Length != 32) continue;
                var scope = f[3];
                if (scope is "20" or "10") continue; // link-local, host
                var bytes = Convert.FromHexString(f[0]);
                var plen = int.Parse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                t.AddAddress(f[5], $"{new IPAddress(bytes)}/{plen}");
            }
        }

        if (files.ReadAllText("/proc/net/fib_trie") is { } trie)
        {
            foreach (var addr in LocalAddresses(trie))
            {
                if ((addr & 0xff) == 127) continue; // loopback (little-endian first octet)
                // The interface whose connected (non-default) route holds the address, longest mask first.
                var best = v4Routes.Where(r => r.Mask != 0 && (addr & r.Mask) == r.Dest)
                    .OrderByDescending(r => BitCount(r.Mask)).FirstOrDefault();
                if (best.Iface is null) continue;
                var text = new IPAddress(addr).ToString();
                t.AddAddress(best.Iface, $"{text}/{BitCount(best.Mask)}");
            }
        }
        return t;
    }

    private void AddAddress(string iface, string address)
    {
        if (!_addresses.TryGetValue(iface, out var l)) _addresses[iface] = l = [];
        if (!l.Contains(address)) l.Add(address);
    }

    private static int BitCount(uint v) => System.Numerics.BitOperations.PopCount(v);

    /// <summary>Addresses of the "/32 host LOCAL" leaves, as little-endian uints like /proc/net/route.</summary>
    private static IEnumerable<uint> LocalAddresses(string trie)
    {
        var seen = new HashSet<uint>();
        string? last = null;
        foreach (var raw in trie.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("|-- ", StringComparison.Ordinal)) last = line[4..];
            else if (line.StartsWith("/32 host LOCAL", StringComparison.Ordinal) && last is not null &&
                     IPAddress.TryParse(last, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                var b = ip.GetAddressBytes();
                uint le = (uint)(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24);
                if (seen.Add(le)) yield return le;
            }
        }
    }
}

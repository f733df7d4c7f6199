/// Every limit of the DNS target in one place: the codec's, the resolver's and the cache's.
///
/// The codec's limits come from RFC 1035; the resolver's match glibc's defaults and bounds
/// (`resolv.conf(5)`), so a resolver configured from `/etc/resolv.conf` behaves as the system's does.
public enum DNSDefaults {
    /// The most octets a domain name takes on the wire, length octets and root label included
    /// (RFC 1035 §2.3.4).
    public static let maxNameLength = 255
    /// The most octets in one label (RFC 1035 §2.3.4).
    public static let maxLabelLength = 63
    /// The most compression pointers followed while reading one name.
    ///
    /// Every pointer must point strictly backwards, so pointers cannot loop; this bounds the work on a chain of
    /// pointers to pointers (RFC 1035 §4.1.4). A name has at most 127 labels, so a legitimate name never needs more.
    public static let maxCompressionPointers = 128
    /// The largest DNS message: the TCP length prefix is two octets (RFC 1035 §4.2.2).
    public static let maxMessageLength = 65_535
    /// The UDP payload size advertised in the EDNS0 OPT record: 1232 octets fits an IPv6 minimum MTU
    /// of 1280 without fragmentation (RFC 6891 §6.2.5; DNS Flag Day 2020).
    public static let udpPayloadSize: UInt16 = 1232
    /// The receive buffer of the UDP socket: a server that ignores the advertised size may send more,
    /// and a datagram cut by the kernel would not decode.
    public static let udpReceiveBufferSize = 65_535

    /// The port of a nameserver when none is given (RFC 1035 §4.2).
    public static let port = 53
    /// How long one try waits for an answer (glibc's `RES_TIMEOUT`, `options timeout:`).
    public static let timeout: Duration = .seconds(5)
    /// How many rounds over the listed nameservers a query makes (glibc's `RES_DFLRETRY`,
    /// `options attempts:`).
    public static let attempts = 2
    /// The longest `options timeout:` honoured, in seconds (glibc's `RES_MAXRETRANS`).
    public static let maxTimeoutSeconds = 30
    /// The most `options attempts:` honoured (glibc's `RES_MAXRETRY`).
    public static let maxAttempts = 5
    /// The most nameservers used from `/etc/resolv.conf` (glibc's `MAXNS`).
    public static let maxNameservers = 3
    /// The most CNAME records followed inside one answer before the chain is judged broken
    /// (RFC 1034 §3.6.2 asks resolvers to bound chains).
    public static let maxCNAMEHops = 8

    /// The most (name, type) answers the cache holds; past it, the answer closest to expiry leaves.
    public static let maxCacheEntries = 10_000
    /// The longest an answer is cached, in seconds, whatever its TTL says (one day; RFC 2181 §8 allows
    /// resolvers to cap TTLs).
    public static let maxCacheTTL: UInt32 = 86_400
    /// The longest a negative answer (NXDOMAIN, NODATA) is cached, in seconds: RFC 2308 §5 suggests one
    /// to three hours.
    public static let maxNegativeCacheTTL: UInt32 = 10_800
}

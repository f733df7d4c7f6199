/// The answers of earlier look-ups, kept for their TTL (RFC 1035 §7.4, RFC 2181 §5.2) and negative
/// answers for their SOA's negative TTL (RFC 2308 §5), bounded in entries.
///
/// A value with no clock of its own: every call is told the time, so it is tested on virtual time.
/// Temporary failures are not cached (RFC 2308 §7 allows it for up to 5 minutes; a mail queue retries
/// far less often than that anyway).
public struct DNSCache: Sendable {
    /// What an entry is cached under: the question's name (without case) and type.
    public struct Key: Hashable, Sendable {
        /// The name asked about.
        public var name: DNSName
        /// The type asked for.
        public var type: DNSType

        /// A cache key.
        public init(name: DNSName, type: DNSType) {
            self.name = name
            self.type = type
        }
    }

    /// A cached answer.
    public enum Entry: Hashable, Sendable {
        /// The RRset (at the end of any CNAME chain).
        case records([DNSResourceRecord])
        /// The name does not exist (RFC 2308 §2.1).
        case nxdomain
        /// The name has no records of the type (RFC 2308 §2.2).
        case nodata
    }

    private var entries: [Key: (entry: Entry, expiry: Duration)] = [:]
    /// The most entries kept; past it, expired entries leave first, then the one closest to expiry.
    public let maxEntries: Int
    /// The longest a positive answer is kept, in seconds.
    public let maxTTL: UInt32
    /// The longest a negative answer is kept, in seconds.
    public let maxNegativeTTL: UInt32

    /// An empty cache with the given bounds.
    public init(
        maxEntries: Int = DNSDefaults.maxCacheEntries,
        maxTTL: UInt32 = DNSDefaults.maxCacheTTL,
        maxNegativeTTL: UInt32 = DNSDefaults.maxNegativeCacheTTL
    ) {
        self.maxEntries = max(0, maxEntries)
        self.maxTTL = maxTTL
        self.maxNegativeTTL = maxNegativeTTL
    }

    /// How many entries are held (expired ones included until they are looked up or pushed out).
    public var count: Int { entries.count }

    /// The entry for `key` if it has not expired at `now`; an expired entry is dropped.
    public mutating func lookup(_ key: Key, now: Duration) -> Entry? {
        guard let cached = entries[key] else { return nil }
        guard now < cached.expiry else {
            entries[key] = nil
            return nil
        }
        return cached.entry
    }

    /// Caches `answer` for `key` as of `now`, for as long as its TTL allows.
    ///
    /// Keeps `answer` for `key` from `now`: records for their TTL (capped at `maxTTL`), NXDOMAIN and
    /// NODATA for their negative TTL (capped at `maxNegativeTTL`) when the response gave one. Answers
    /// with a TTL of 0 and failures are not kept.
    public mutating func store(_ answer: DNSAnswer, for key: Key, now: Duration) {
        let entry: Entry
        let ttl: UInt32
        switch answer {
        case .records(let records, let recordsTTL):
            (entry, ttl) = (.records(records), min(recordsTTL, maxTTL))
        case .nxdomain(let negativeTTL?):
            (entry, ttl) = (.nxdomain, min(negativeTTL, maxNegativeTTL))
        case .nodata(let negativeTTL?):
            (entry, ttl) = (.nodata, min(negativeTTL, maxNegativeTTL))
        case .nxdomain(nil), .nodata(nil), .serverFailure, .cnameChainTooLong:
            return
        }
        guard ttl > 0, maxEntries > 0 else { return }
        if entries[key] == nil, entries.count >= maxEntries { makeRoom(now: now) }
        entries[key] = (entry, now + .seconds(Int64(ttl)))
    }

    /// Drops every expired entry, and if that frees nothing, the entry that would expire first.
    private mutating func makeRoom(now: Duration) {
        entries = entries.filter { now < $0.value.expiry }
        guard entries.count >= maxEntries,
            let soonest = entries.min(by: { $0.value.expiry < $1.value.expiry })?.key
        else { return }
        entries[soonest] = nil
    }
}

import DNS
import MailTestSupport
import Testing

@Suite("The cache on virtual time (RFC 2181 §5.2, RFC 2308 §5)", .offThePool)
struct CacheTests {
    static let key = DNSCache.Key(name: name("example.test"), type: .mx)
    static let record = DNSResourceRecord(
        name: name("example.test"),
        type: .mx,
        ttl: 300,
        data: .mx(MXRecord(preference: 10, exchange: name("mx.example.test")))
    )

    @Test(
        "an answer lives until its TTL, capped",
        arguments: [
            (
                DNSAnswer.records([record], ttl: 300), Duration.seconds(299), Duration.seconds(300),
                DNSCache.Entry.records([record])
            ),
            (.records([record], ttl: 1_000_000), .seconds(86_399), .seconds(86_400), .records([record])),
            (.nxdomain(negativeTTL: 60), .seconds(59), .seconds(60), .nxdomain),
            (.nodata(negativeTTL: 30), .milliseconds(29_999), .seconds(30), .nodata),
            (.nodata(negativeTTL: 1_000_000), .seconds(10_799), .seconds(10_800), .nodata),
        ]
    )
    func expiry(answer: DNSAnswer, stillThere: Duration, gone: Duration, entry: DNSCache.Entry) {
        var cache = DNSCache()
        let start = Duration.seconds(1000)
        cache.store(answer, for: Self.key, now: start)
        #expect(cache.lookup(Self.key, now: start) == entry)
        #expect(cache.lookup(Self.key, now: start + stillThere) == entry)
        #expect(cache.lookup(Self.key, now: start + gone) == nil)
        #expect(cache.count == 0)
    }

    @Test(
        "answers without a usable TTL and failures are not kept",
        arguments: [
            DNSAnswer.records([record], ttl: 0), .nxdomain(negativeTTL: nil), .nodata(negativeTTL: nil),
            .nodata(negativeTTL: 0),
            .serverFailure(.servFail), .cnameChainTooLong,
        ]
    )
    func notCached(answer: DNSAnswer) {
        var cache = DNSCache()
        cache.store(answer, for: Self.key, now: .zero)
        #expect(cache.lookup(Self.key, now: .zero) == nil)
    }

    @Test("keys are names without case and a type")
    func keys() {
        var cache = DNSCache()
        cache.store(.nodata(negativeTTL: 60), for: Self.key, now: .zero)
        #expect(cache.lookup(DNSCache.Key(name: name("EXAMPLE.test"), type: .mx), now: .zero) == .nodata)
        #expect(cache.lookup(DNSCache.Key(name: name("example.test"), type: .txt), now: .zero) == nil)
    }

    @Test("the cache holds at most maxEntries: expired entries go first, then the one closest to expiry")
    func bound() {
        var cache = DNSCache(maxEntries: 3)
        func key(_ index: Int) -> DNSCache.Key { DNSCache.Key(name: name("h\(index).example.test"), type: .a) }
        cache.store(.nodata(negativeTTL: 100), for: key(1), now: .zero)
        cache.store(.nodata(negativeTTL: 10), for: key(2), now: .zero)
        cache.store(.nodata(negativeTTL: 200), for: key(3), now: .zero)
        #expect(cache.count == 3)
        // Full, nothing expired: h2 (expires first) makes room.
        cache.store(.nodata(negativeTTL: 300), for: key(4), now: .seconds(1))
        #expect(cache.count == 3)
        #expect(cache.lookup(key(2), now: .seconds(1)) == nil)
        #expect(cache.lookup(key(1), now: .seconds(1)) == .nodata)
        // At 150 s h1 has expired: it goes, the others stay.
        cache.store(.nodata(negativeTTL: 300), for: key(5), now: .seconds(150))
        #expect(cache.count == 3)
        for index in [3, 4, 5] { #expect(cache.lookup(key(index), now: .seconds(150)) == .nodata) }
        // Replacing an entry that is there needs no room.
        cache.store(.nodata(negativeTTL: 5), for: key(5), now: .seconds(150))
        #expect(cache.count == 3)
        #expect(cache.lookup(key(5), now: .seconds(156)) == nil)
    }
}

import DNS
import MailTestSupport
import NIOCore
import Synchronization
import Testing

/// The resolver over real sockets, against the in-process nameserver on 127.0.0.1.
@Suite("The resolver over UDP and TCP on 127.0.0.1", .offThePool)
struct ResolverTests {
    static let zone = TestZone(
        records: [
            mx("example.test", 20, "mx2.example.test"), mx("example.test", 10, "mx1.example.test"),
            mx("example.test", 30, "mx3.example.test"),
            a("mx1.example.test", "127.0.0.2"), a("mx1.example.test", "127.0.0.3"),
            aaaa("mx1.example.test", "::ffff:127.0.0.2"),
            a("only4.example.test", "127.0.0.4"),
            mx("nomail.example.test", 0, "."),
            txt("example.test", ["v=spf1 ip4:127.0.0.0/8 ", "-all"]),
            ptr("2.0.0.127.in-addr.arpa", "mx1.example.test"),
            tlsa("_25._tcp.mx1.example.test", [0xAB, 0xCD]),
            cname("www.example.test", "web.example.test"), cname("web.example.test", "mx1.example.test"),
            a("big.example.test", "127.0.0.10"), a("spoofed.example.test", "127.0.0.11"),
            a("otherport.example.test", "127.0.0.12"), a("fail.example.test", "127.0.0.13"),
        ],
        serverFailures: [name("fail.example.test")],
        truncatedOverUDP: [name("big.example.test")],
        wrongIDFirst: [name("spoofed.example.test")],
        otherPortFirst: [name("otherport.example.test")]
    )

    static func resolver(
        _ servers: [TestDNSServer],
        // Answers come at once; the bound only matters on a loaded machine, where 2 s was seen to pass.
        timeout: Duration = .seconds(15),
        attempts: Int = 1,
        clock: DNSClock = .continuous
    ) -> DNSResolver {
        DNSResolver(
            configuration: DNSResolverConfiguration(
                nameservers: servers.map(\.address),
                timeout: timeout,
                attempts: attempts
            ),
            clock: clock
        )
    }

    @Test("MX records come lowest preference first")
    func mxByPreference() async throws {
        try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
            let result = try await Self.resolver([server]).mx("example.test")
            #expect(result.records.map(\.preference) == [10, 20, 30])
            #expect(result.records.first?.exchange == name("mx1.example.test"))
            #expect(!result.isNullMX)
        }
    }

    @Test("a null MX is recognised (RFC 7505)")
    func nullMX() async throws {
        try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
            #expect(try await Self.resolver([server]).mx("nomail.example.test").isNullMX)
        }
    }

    @Test(
        "records, NXDOMAIN and NODATA are told apart",
        arguments: [
            ("example.test", DNSType.mx, "records"), ("nothing.example.test", .mx, "nxdomain"),
            ("only4.example.test", .mx, "nodata"), ("only4.example.test", .aaaa, "nodata"),
            ("only4.example.test", .a, "records"), ("fail.example.test", .a, "temporary"),
        ]
    )
    func outcomes(host: String, type: DNSType, expected: String) async throws {
        try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
            let result = try await Self.resolver([server]).query(name: host, type: type)
            let outcome =
                switch result {
                case .records: "records"
                case .nxdomain: "nxdomain"
                case .nodata: "nodata"
                case .temporaryFailure: "temporary"
                }
            #expect(outcome == expected)
        }
    }

    @Test("SERVFAIL from every server is a temporary failure")
    func serverFailure() async throws {
        try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
            let result = try await Self.resolver([server], attempts: 2).addresses("fail.example.test")
            #expect(result == .temporaryFailure(.serverFailure(.servFail)))
            #expect(server.udpQueries == 4)  // A and AAAA, two attempts each
        }
    }

    @Test("A and AAAA together; TXT, PTR and TLSA")
    func otherTypes() async throws {
        try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
            let resolver = Self.resolver([server])
            #expect(
                try await resolver.addresses("mx1.example.test").records.map(\.description)
                    == ["127.0.0.2", "127.0.0.3", "::ffff:127.0.0.2"]
            )
            #expect(try await resolver.addresses("only4.example.test") == .records([IPAddress("127.0.0.4")!]))
            #expect(try await resolver.addresses("nothing.example.test") == .nxdomain)
            #expect(
                try await resolver.txt("example.test").records.map(\.text) == [
                    Array("v=spf1 ip4:127.0.0.0/8 -all".utf8)
                ]
            )
            #expect(await resolver.ptr(IPAddress("127.0.0.2")!) == .records([name("mx1.example.test")]))
            #expect(
                try await resolver.tlsa(port: 25, host: "mx1.example.test").records
                    == [
                        TLSARecord(
                            certificateUsage: 3,
                            selector: 1,
                            matchingType: 1,
                            certificateAssociationData: [0xAB, 0xCD]
                        )
                    ]
            )
        }
    }

    @Test("a CNAME chain inside the answer is followed")
    func cnameChain() async throws {
        try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
            let result = try await Self.resolver([server]).query(name: "www.example.test", type: .a)
            #expect(result.records.map(\.name) == [name("mx1.example.test"), name("mx1.example.test")])
            #expect(result.records.map(\.data) == [.a(IPv4Address("127.0.0.2")!), .a(IPv4Address("127.0.0.3")!)])
        }
    }

    @Test("a truncated UDP answer is asked again over TCP and the full answer used (RFC 7766 §5)")
    func truncationFallsBackToTCP() async throws {
        try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
            let result = try await Self.resolver([server]).query(name: "big.example.test", type: .a)
            #expect(result.records.map(\.data) == [.a(IPv4Address("127.0.0.10")!)])
            #expect(server.udpQueries == 1)
            #expect(server.tcpQueries == 1)
        }
    }

    @Test(
        "replies with the wrong ID or from another port are ignored (RFC 5452 §9.1)",
        arguments: [("spoofed.example.test", "127.0.0.11"), ("otherport.example.test", "127.0.0.12")]
    )
    func spoofedRepliesIgnored(host: String, address: String) async throws {
        try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
            let result = try await Self.resolver([server]).query(name: host, type: .a)
            #expect(result.records.map(\.data) == [.a(IPv4Address(address)!)])
        }
    }

    @Test("a server that answers FORMERR to EDNS is asked again without it (RFC 6891 §7)")
    func formErrWithoutEDNS() async throws {
        var zone = Self.zone
        zone.rejectsEDNS = true
        try await withTestDNSServer(zone) { (server: TestDNSServer) async throws in
            let result = try await Self.resolver([server]).mx("example.test")
            #expect(result.records.map(\.preference) == [10, 20, 30])
            #expect(server.udpQueries == 2)
        }
    }

    @Test("a server that never answers is a temporary failure after attempts × timeout")
    func timeout() async throws {
        try await withTestDNSServer(TestZone(silent: true)) { (server: TestDNSServer) async throws in
            let started = ContinuousClock.now
            let result = try await Self.resolver([server], timeout: .milliseconds(150), attempts: 2).mx("example.test")
            let elapsed = ContinuousClock.now - started
            #expect(result == .temporaryFailure(.timeout))
            // The second query was sent before the resolver gave up; the test server, on the same two
            // loaded cores, may count it a moment later (a full run saw 1 at the first look).
            for _ in 0..<100 where server.udpQueries < 2 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(server.udpQueries == 2)
            // Not a timing test (the suite shares two cores with everything else): it waited out both
            // tries, and it ended.
            #expect(elapsed >= .milliseconds(300))
        }
    }

    @Test("after the first server times out, the second answers")
    func secondServer() async throws {
        try await withTestDNSServer(TestZone(silent: true)) { (silent: TestDNSServer) async throws in
            try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
                // A timeout long enough for the answering server on a loaded machine (the silent one
                // costs it once).
                let resolver = Self.resolver([silent, server], timeout: .seconds(5))
                let result = try await resolver.mx("example.test")
                #expect(result.records.count == 3)
                #expect(silent.udpQueries == 1)
                #expect(server.udpQueries == 1)
            }
        }
    }

    @Test("answers come from the cache until their TTL passes (virtual time)")
    func cachedUntilTTL() async throws {
        let now = Mutex(Duration.zero)
        let clock = DNSClock { now.withLock { $0 } }
        try await withTestDNSServer(Self.zone) { (server: TestDNSServer) async throws in
            let resolver = Self.resolver([server], clock: clock)
            _ = try await resolver.mx("example.test")
            _ = try await resolver.mx("example.test")
            #expect(server.udpQueries == 1)
            // NXDOMAIN is cached for min(SOA TTL 300, MINIMUM 60).
            #expect(try await resolver.mx("nothing.example.test") == .nxdomain)
            now.withLock { $0 = .seconds(59) }
            #expect(try await resolver.mx("nothing.example.test") == .nxdomain)
            #expect(server.udpQueries == 2)
            now.withLock { $0 = .seconds(60) }
            #expect(try await resolver.mx("nothing.example.test") == .nxdomain)
            #expect(server.udpQueries == 3)
            // The MX records (TTL 600) are still cached at 599 s, asked again at 600 s.
            now.withLock { $0 = .seconds(599) }
            _ = try await resolver.mx("example.test")
            #expect(server.udpQueries == 3)
            now.withLock { $0 = .seconds(600) }
            _ = try await resolver.mx("example.test")
            #expect(server.udpQueries == 4)
        }
    }

    @Test(
        "invalid names throw before anything is sent",
        arguments: ["", "a..b", String(repeating: "x", count: 64) + ".test"]
    )
    func invalidNames(host: String) async {
        let resolver = DNSResolver(
            configuration: DNSResolverConfiguration(nameservers: [try! DNSServerAddress("127.0.0.1:9")])
        )
        await #expect(throws: DNSError.invalidName(host)) { try await resolver.mx(host) }
    }
}

func mx(_ owner: String, _ preference: UInt16, _ exchange: String) -> DNSResourceRecord {
    DNSResourceRecord(
        name: name(owner),
        type: .mx,
        ttl: 600,
        data: .mx(MXRecord(preference: preference, exchange: name(exchange)))
    )
}

func a(_ owner: String, _ address: String, ttl: UInt32 = 600) -> DNSResourceRecord {
    DNSResourceRecord(name: name(owner), type: .a, ttl: ttl, data: .a(IPv4Address(address)!))
}

func aaaa(_ owner: String, _ address: String) -> DNSResourceRecord {
    DNSResourceRecord(name: name(owner), type: .aaaa, ttl: 600, data: .aaaa(IPv6Address(address)!))
}

func txt(_ owner: String, _ strings: [String]) -> DNSResourceRecord {
    DNSResourceRecord(
        name: name(owner),
        type: .txt,
        ttl: 600,
        data: .txt(TXTRecord(strings: strings.map { Array($0.utf8) }))
    )
}

func ptr(_ owner: String, _ target: String) -> DNSResourceRecord {
    DNSResourceRecord(name: name(owner), type: .ptr, ttl: 600, data: .ptr(name(target)))
}

func tlsa(_ owner: String, _ data: [UInt8]) -> DNSResourceRecord {
    DNSResourceRecord(
        name: name(owner),
        type: .tlsa,
        ttl: 600,
        data: .tlsa(TLSARecord(certificateUsage: 3, selector: 1, matchingType: 1, certificateAssociationData: data))
    )
}

func cname(_ owner: String, _ target: String, ttl: UInt32 = 600) -> DNSResourceRecord {
    DNSResourceRecord(name: name(owner), type: .cname, ttl: ttl, data: .cname(name(target)))
}

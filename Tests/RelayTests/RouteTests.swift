import MailTestSupport
import Testing

@testable import Relay

/// RFC 5321 §5.1 and RFC 7505: where mail for a domain goes.
@Suite(.offThePool) struct RouteTests {
    static func keepOrder(_ hosts: inout [String]) {}

    @Test(
        arguments: [
            // MX by preference, lowest first
            (
                LookupResult<[MailExchanger]>.records([
                    .init(preference: 20, host: "mx2.b.test."), .init(preference: 10, host: "MX1.b.test"),
                ]),
                Route.hosts(["mx1.b.test", "mx2.b.test"])
            ),
            // no MX: the domain itself (implicit MX)
            (.noRecords, .hosts(["b.test"])),
            (.records([]), .hosts(["b.test"])),
            // RFC 7505 null MX
            (.records([.init(preference: 0, host: ".")]), .nullMX),
            // a null MX beside real ones is ignored
            (
                .records([.init(preference: 0, host: "."), .init(preference: 5, host: "mx.b.test")]),
                .hosts(["mx.b.test"])
            ),
            (.noSuchDomain, .noSuchDomain),
            (.temporaryFailure("SERVFAIL"), .temporaryFailure("SERVFAIL")),
        ] as [(LookupResult<[MailExchanger]>, Route)]
    )
    func plan(answer: LookupResult<[MailExchanger]>, route: Route) {
        #expect(Route.plan(domain: "b.test", answer: answer, shuffle: Self.keepOrder) == route)
    }

    @Test func equalPreferencesAreShuffledButStayAfterLowerOnes() {
        let answer = LookupResult<[MailExchanger]>.records([
            .init(preference: 10, host: "a.b.test"), .init(preference: 10, host: "b.b.test"),
            .init(preference: 5, host: "first.b.test"), .init(preference: 10, host: "c.b.test"),
        ])
        var seenSecond: Set<String> = []
        for _ in 0..<200 {
            guard case .hosts(let hosts) = Route.plan(domain: "b.test", answer: answer) else {
                Issue.record("not hosts")
                return
            }
            #expect(hosts.first == "first.b.test")
            #expect(Set(hosts.dropFirst()) == ["a.b.test", "b.b.test", "c.b.test"])
            seenSecond.insert(hosts[1])
        }
        // 200 shuffles of three names: every one comes second at some point (chance of failure ~1e-35).
        #expect(seenSecond.count == 3)
    }

    @Test(arguments: [("[192.0.2.7]", "192.0.2.7"), ("[IPv6:2001:db8::7]", "2001:db8::7")])
    func addressLiteralsGoToThatAddress(domain: String, address: String) {
        #expect(Route.plan(domain: domain, answer: .noSuchDomain) == .address(address))
    }

    @Test func theNumberOfHostsIsBounded() {
        let many = (0..<50).map { MailExchanger(preference: UInt16($0), host: "mx\($0).b.test") }
        guard case .hosts(let hosts) = Route.plan(domain: "b.test", answer: .records(many), shuffle: Self.keepOrder)
        else { return #expect(Bool(false)) }
        #expect(hosts.count == RelayDefaults.maximumMXHosts)
    }
}

import DNS
import Foundation

/// Everything correo checks on a message that arrives at its MX from outside: SPF for the client and
/// MAIL FROM, every DKIM signature, DMARC on top, and the Authentication-Results field that records it.
public struct MessageAuthenticator: Sendable {
    /// The authserv-id written into Authentication-Results (RFC 8601 §2.5), normally correo's host name.
    public var authservID: String
    /// The SPF check of the client address and MAIL FROM (or HELO).
    public var spf: SPFChecker
    /// The verifier of every DKIM signature.
    public var dkim: DKIMVerifier
    /// The DMARC evaluation on top of the SPF and DKIM results.
    public var dmarc: DMARCEvaluator
    /// Seconds since 1970 (DKIM `x=`), injected for tests.
    public var now: @Sendable () -> Int

    /// Makes an authenticator whose checks share `resolver`; `sample` and `now` are injected for tests.
    public init(
        authservID: String,
        resolver: any MailAuthResolving,
        suffixes: PublicSuffixList = .shared,
        sample: @escaping @Sendable () -> Int = { Int.random(in: 0..<100) },
        now: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.authservID = authservID
        spf = SPFChecker(resolver: resolver, receiver: authservID)
        dkim = DKIMVerifier(resolver: resolver)
        dmarc = DMARCEvaluator(resolver: resolver, suffixes: suffixes, sample: sample)
        self.now = now
    }

    /// The verdicts on one message.
    public struct Verdict: Sendable, Hashable {
        /// SPF's verdict on the client address and MAIL FROM (or HELO).
        public var spf: SPFVerdict
        /// The result of each DKIM signature, top first.
        public var dkim: [DKIMResult]
        /// DMARC's verdict, from which `disposition` follows.
        public var dmarc: DMARCVerdict
        /// The Authentication-Results field that records all of them.
        public var results: AuthenticationResults

        /// What DMARC asks for this message: deliver, deliver into Junk, or refuse with 550 5.7.1.
        public var disposition: DMARCRecord.Policy { dmarc.result == .fail ? dmarc.disposition : .none }

        /// The message as delivered: correo's own Authentication-Results fields from outside removed,
        /// its new one on top.
        public func apply(to message: [UInt8]) -> [UInt8] {
            results.field + AuthenticationResults.strip(message, claiming: results.authservID)
        }
    }

    /// Checks `message`, received from `client` that said `helo` and gave `mailFrom` (empty: the null
    /// reverse-path).
    public func check(_ message: [UInt8], client: IPAddress, helo: String, mailFrom: String) async -> Verdict {
        let client = client.unmappingIPv4
        async let spfVerdict = spf.check(client: client, helo: helo, mailFrom: mailFrom)
        let dkimResults = await dkim.verify(message, now: now())
        let spfResult = await spfVerdict
        let dmarcVerdict = await dmarc.evaluate(message: MessageFields(message), spf: spfResult, dkim: dkimResults)

        var entries: [AuthenticationResults.Entry] = []
        entries.append(
            .init(
                method: "spf",
                result: spfResult.result.rawValue,
                reason: spfResult.reason,
                properties: [spfResult.checkedHELO ? ("smtp.helo", helo) : ("smtp.mailfrom", spfResult.identity)]
            )
        )
        if dkimResults.isEmpty {
            entries.append(.init(method: "dkim", result: "none"))
        }
        for result in dkimResults {
            var properties: [(String, String)] = []
            if let domain = result.domain { properties.append(("header.d", domain)) }
            if let selector = result.selector { properties.append(("header.s", selector)) }
            if let algorithm = result.algorithm { properties.append(("header.a", algorithm.rawValue)) }
            if let prefix = result.signaturePrefix { properties.append(("header.b", prefix)) }
            entries.append(
                .init(method: "dkim", result: result.status.rawValue, reason: result.reason, properties: properties)
            )
        }
        var dmarcProperties: [(String, String)] = []
        if let from = dmarcVerdict.fromDomain { dmarcProperties.append(("header.from", from)) }
        if let policy = dmarcVerdict.requestedPolicy { dmarcProperties.append(("policy.dmarc", policy.rawValue)) }
        entries.append(
            .init(
                method: "dmarc",
                result: dmarcVerdict.result.rawValue,
                reason: dmarcVerdict.reason,
                properties: dmarcProperties
            )
        )
        return Verdict(
            spf: spfResult,
            dkim: dkimResults,
            dmarc: dmarcVerdict,
            results: AuthenticationResults(authservID: authservID, entries: entries)
        )
    }
}

extension IPAddress {
    /// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it is (RFC 7208 §5: SPF
    /// checks such a client as IPv4).
    public var unmappingIPv4: IPAddress {
        guard case .v6(let v6) = self, v6.octets.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF],
            let v4 = IPv4Address(octets: Array(v6.octets.suffix(4)))
        else { return self }
        return .v4(v4)
    }
}

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
    /// Which checks run (all three unless the operator turned some off).
    public var checks: Checks

    /// Which of the three checks run.
    ///
    /// DMARC is built on the other two: with SPF off it goes by DKIM alone (and the other way round); with
    /// both off it has nothing to evaluate, is skipped, and the message's disposition is `none`.
    public struct Checks: Sendable, Hashable {
        /// SPF (RFC 7208) of the client address and MAIL FROM (or HELO).
        public var spf: Bool
        /// DKIM (RFC 6376): every signature is verified.
        public var dkim: Bool
        /// DMARC (RFC 7489), on top of the SPF and DKIM results.
        public var dmarc: Bool

        /// The three checks, each on or off.
        public init(spf: Bool = true, dkim: Bool = true, dmarc: Bool = true) {
            self.spf = spf
            self.dkim = dkim
            self.dmarc = dmarc
        }

        /// Every check.
        public static let all = Checks()

        /// Whether DMARC is evaluated: on, and with at least one of SPF and DKIM to build on.
        public var evaluatesDMARC: Bool { dmarc && (spf || dkim) }
    }

    /// Makes an authenticator whose `checks` share `resolver`; `sample` and `now` are injected for tests.
    public init(
        authservID: String,
        resolver: any MailAuthResolving,
        checks: Checks = .all,
        suffixes: PublicSuffixList = .shared,
        sample: @escaping @Sendable () -> Int = { Int.random(in: 0..<100) },
        now: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.authservID = authservID
        spf = SPFChecker(resolver: resolver, receiver: authservID)
        dkim = DKIMVerifier(resolver: resolver)
        dmarc = DMARCEvaluator(resolver: resolver, suffixes: suffixes, sample: sample)
        self.now = now
        self.checks = checks
    }

    /// The verdicts on one message.
    public struct Verdict: Sendable, Hashable {
        /// SPF's verdict on the client address and MAIL FROM (or HELO); nil when SPF is off.
        public var spf: SPFVerdict?
        /// The result of each DKIM signature, top first; nil when DKIM is off.
        public var dkim: [DKIMResult]?
        /// DMARC's verdict, from which `disposition` follows; nil when DMARC is off or skipped.
        public var dmarc: DMARCVerdict?
        /// The Authentication-Results field that records them, one entry per check that ran.
        public var results: AuthenticationResults

        /// What DMARC asks for this message: deliver, deliver into Junk, or refuse with 550 5.7.1
        /// (always deliver when DMARC did not run).
        public var disposition: DMARCRecord.Policy {
            guard let dmarc, dmarc.result == .fail else { return .none }
            return dmarc.disposition
        }

        /// The message as delivered: correo's own Authentication-Results fields from outside removed,
        /// its new one on top.
        public func apply(to message: [UInt8]) -> [UInt8] {
            results.field + AuthenticationResults.strip(message, claiming: results.authservID)
        }
    }

    /// Checks `message`, received from `client` that said `helo` and gave `mailFrom` (empty: the null
    /// reverse-path), with the checks that are on.
    public func check(_ message: [UInt8], client: IPAddress, helo: String, mailFrom: String) async -> Verdict {
        let client = client.unmappingIPv4
        async let spfVerdict = checks.spf ? spf.check(client: client, helo: helo, mailFrom: mailFrom) : nil
        let dkimResults = checks.dkim ? await dkim.verify(message, now: now()) : nil
        let spfResult = await spfVerdict
        let dmarcVerdict =
            checks.evaluatesDMARC
            ? await dmarc.evaluate(message: MessageFields(message), spf: spfResult, dkim: dkimResults ?? []) : nil
        var entries: [AuthenticationResults.Entry] = []
        if let spfResult { entries.append(Self.entry(spfResult, helo: helo)) }
        if let dkimResults { entries += Self.entries(dkimResults) }
        if let dmarcVerdict { entries.append(Self.entry(dmarcVerdict)) }
        return Verdict(
            spf: spfResult,
            dkim: dkimResults,
            dmarc: dmarcVerdict,
            results: AuthenticationResults(authservID: authservID, entries: entries)
        )
    }

    /// `spf=… smtp.mailfrom=…` (or `smtp.helo=` when the null sender's HELO was checked).
    static func entry(_ spf: SPFVerdict, helo: String) -> AuthenticationResults.Entry {
        .init(
            method: "spf",
            result: spf.result.rawValue,
            reason: spf.reason,
            properties: [spf.checkedHELO ? ("smtp.helo", helo) : ("smtp.mailfrom", spf.identity)]
        )
    }

    /// One `dkim=` entry per signature, or `dkim=none` when the message has none.
    static func entries(_ dkim: [DKIMResult]) -> [AuthenticationResults.Entry] {
        if dkim.isEmpty { return [.init(method: "dkim", result: "none")] }
        return dkim.map { result in
            var properties: [(String, String)] = []
            if let domain = result.domain { properties.append(("header.d", domain)) }
            if let selector = result.selector { properties.append(("header.s", selector)) }
            if let algorithm = result.algorithm { properties.append(("header.a", algorithm.rawValue)) }
            if let prefix = result.signaturePrefix { properties.append(("header.b", prefix)) }
            return .init(method: "dkim", result: result.status.rawValue, reason: result.reason, properties: properties)
        }
    }

    /// `dmarc=… header.from=… policy.dmarc=…`.
    static func entry(_ dmarc: DMARCVerdict) -> AuthenticationResults.Entry {
        var properties: [(String, String)] = []
        if let from = dmarc.fromDomain { properties.append(("header.from", from)) }
        if let policy = dmarc.requestedPolicy { properties.append(("policy.dmarc", policy.rawValue)) }
        return .init(method: "dmarc", result: dmarc.result.rawValue, reason: dmarc.reason, properties: properties)
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

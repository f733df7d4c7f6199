import DNS
import Foundation
import MailCore

/// DMARC's verdict on a message (RFC 7489 §6.6) and what to do with it.
public struct DMARCVerdict: Sendable, Hashable {
    /// The result keyword of RFC 8601 §2.7.
    public enum Result: String, Sendable, Hashable {
        /// `none`: no record; `pass`: an aligned SPF or DKIM pass; `fail`: neither; `temperror`/`permerror`: the
        /// look-up or the record failed.
        case none, pass, fail, temperror, permerror
    }

    /// The result keyword written into Authentication-Results (`dmarc=`).
    public var result: Result
    /// The RFC5322.From domain the check was about (`header.from`).
    public var fromDomain: String?
    /// The policy the record asks for (none when the result is not fail).
    public var requestedPolicy: DMARCRecord.Policy?
    /// The policy to apply after `pct` sampling (§6.6.4): `none` unless the result is fail.
    public var disposition: DMARCRecord.Policy
    /// Why, for the log and a comment in Authentication-Results.
    public var reason: String?
}

/// Checks a message's From domain against its DMARC record with the SPF and DKIM results already
/// found: record discovery at `_dmarc.` + the From domain then its organisational domain (§6.6.3),
/// identifier alignment (§3.1), `p`/`sp` and `pct` (§6.6.4).
public struct DMARCEvaluator: Sendable {
    /// Where `_dmarc.` TXT records are looked up.
    public let resolver: any MailAuthResolving
    /// The Public Suffix List that finds the organisational domain (§3.2).
    public let suffixes: PublicSuffixList
    /// 0..<100 for `pct` sampling; injected so tests are exact.
    public let sample: @Sendable () -> Int

    /// Makes an evaluator; `sample` is injected so that tests of `pct` are exact.
    public init(
        resolver: any MailAuthResolving,
        suffixes: PublicSuffixList = .shared,
        sample: @escaping @Sendable () -> Int = { Int.random(in: 0..<100) }
    ) {
        self.resolver = resolver
        self.suffixes = suffixes
        self.sample = sample
    }

    /// The one From domain of `message`, or nil when it has none or several (§6.6.1: such a message
    /// cannot be checked; correo reports permerror).
    public static func fromDomain(of fields: MessageFields) -> String? {
        let from = fields.fields(named: "From")
        guard from.count == 1 else { return nil }
        let mailboxes = Address.mailboxes(in: from[0].value)
        guard mailboxes.count == 1 else { return nil }
        let domain = mailboxes[0].domain.lowercased().trimmingDot()
        return domain.isEmpty ? nil : domain
    }

    /// The DMARC verdict on a message given its SPF and DKIM results (§6.6.2).
    public func evaluate(message fields: MessageFields, spf: SPFVerdict?, dkim: [DKIMResult]) async -> DMARCVerdict {
        guard let from = Self.fromDomain(of: fields) else {
            return DMARCVerdict(result: .permerror, disposition: .none, reason: "no single From address")
        }
        let organizational = suffixes.organizationalDomain(of: from)
        var found = await record(at: from)
        var atOrganization = false
        if case .absent = found, organizational != from {
            found = await record(at: organizational)
            atOrganization = true
        }
        let record: DMARCRecord
        switch found {
        case .absent:
            return DMARCVerdict(result: .none, fromDomain: from, disposition: .none, reason: "no DMARC record")
        case .temporaryFailure(let reason):
            return DMARCVerdict(result: .temperror, fromDomain: from, disposition: .none, reason: reason)
        case .broken(let reason):
            return DMARCVerdict(result: .permerror, fromDomain: from, disposition: .none, reason: reason)
        case .found(let value): record = value
        }

        let dkimAligned = dkim.contains { result in
            result.status == .pass && result.domain.map { aligned($0, from, record.dkimAlignment) } == true
        }
        let spfAligned = spf.map { $0.result == .pass && aligned($0.domain, from, record.spfAlignment) } ?? false
        if dkimAligned || spfAligned {
            return DMARCVerdict(
                result: .pass,
                fromDomain: from,
                disposition: .none,
                reason: dkimAligned ? "aligned DKIM signature" : "aligned SPF"
            )
        }
        let requested = atOrganization ? (record.subdomainPolicy ?? record.policy) : record.policy
        let applied = sample() < record.percentage ? requested : requested.relaxed
        return DMARCVerdict(
            result: .fail,
            fromDomain: from,
            requestedPolicy: requested,
            disposition: applied,
            reason: "no aligned SPF or DKIM pass"
        )
    }

    /// Whether an authenticated domain aligns with the From domain (§3.1).
    func aligned(_ domain: String, _ from: String, _ mode: DMARCRecord.Alignment) -> Bool {
        let domain = domain.lowercased().trimmingDot()
        switch mode {
        case .strict: return domain == from
        case .relaxed: return suffixes.organizationalDomain(of: domain) == suffixes.organizationalDomain(of: from)
        }
    }

    enum Lookup {
        case found(DMARCRecord)
        case absent
        case temporaryFailure(String)
        case broken(String)
    }

    /// The record at `_dmarc.domain`: exactly one TXT record that starts with v=DMARC1 (§6.6.3: with
    /// several, there is none).
    func record(at domain: String) async -> Lookup {
        let answer: DNSResult<TXTRecord>
        do { answer = try await resolver.txt("_dmarc.\(domain)") } catch { return .absent }
        switch answer {
        case .temporaryFailure(let failure): return .temporaryFailure("\(failure)")
        case .nxdomain, .nodata: return .absent
        case .records(let records):
            let candidates = records.map(\.text).filter(DMARCRecord.isDMARC)
            guard candidates.count == 1 else { return .absent }
            do { return .found(try DMARCRecord(parsing: candidates[0])) } catch { return .broken(error.description) }
        }
    }
}

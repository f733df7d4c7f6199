import DNS
import MailCore

/// RFC 7208's check_host(): is `client` allowed to send mail for a domain? With the limits of §4.6.4
/// (10 terms that ask the DNS, includes and redirects counted; 2 void look-ups; 10 names per `mx` and
/// `ptr`), which make a record that asks for more a `permerror`.
///
/// `exp=` is parsed but never fetched: correo does not put the sender's explanation into its 550.
public struct SPFChecker: Sendable {
    /// Where SPF records and the names its mechanisms ask for are looked up.
    public let resolver: any MailAuthResolving
    /// The receiving host's name (`%{r}`).
    public var receiver: String

    /// Makes a checker that looks up through `resolver`; `receiver` expands `%{r}`.
    public init(resolver: any MailAuthResolving, receiver: String = "unknown") {
        self.resolver = resolver
        self.receiver = receiver
    }

    /// Checks the MAIL FROM identity, or `postmaster@HELO` when the reverse-path is empty (§2.4).
    public func check(client: IPAddress, helo: String, mailFrom: String) async -> SPFVerdict {
        let checkedHELO = mailFrom.isEmpty
        let sender = checkedHELO ? "postmaster@\(helo)" : mailFrom
        let domain = EmailAddressParts(sender).domain.lowercased().trimmingDot()
        var state = Limits()
        let (result, reason) = await checkHost(
            client: client,
            domain: domain,
            sender: sender,
            helo: helo,
            limits: &state
        )
        return SPFVerdict(result: result, identity: sender, domain: domain, checkedHELO: checkedHELO, reason: reason)
    }

    /// The counters one check shares across includes and redirects.
    struct Limits {
        var dnsTerms = 0
        var voidLookups = 0

        /// Counts a term that asks the DNS; false when that is one too many.
        mutating func countTerm() -> Bool {
            dnsTerms += 1
            return dnsTerms <= MailAuthDefaults.spfDNSTermLimit
        }

        /// Counts a look-up that found nothing; false when that is one too many.
        mutating func countVoid<R>(_ result: DNSResult<R>) -> Bool {
            switch result {
            case .nxdomain, .nodata: voidLookups += 1
            case .records(let records) where records.isEmpty: voidLookups += 1
            default: break
            }
            return voidLookups <= MailAuthDefaults.spfVoidLookupLimit
        }
    }

    /// A result that ends the evaluation at once.
    struct Stop: Error {
        var result: SPFResult
        var reason: String
    }

    func checkHost(
        client: IPAddress,
        domain: String,
        sender: String,
        helo: String,
        limits: inout Limits
    ) async -> (SPFResult, String?) {
        // §4.3: a domain that cannot be one gives none.
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count > 1, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }), domain.utf8.count <= 253
        else {
            return (.none, "no valid domain in \(domain.isEmpty ? "the identity" : domain)")
        }
        // §4.4, §4.5: exactly one record.
        let answer: DNSResult<TXTRecord>
        do { answer = try await resolver.txt(domain) } catch { return (.none, "invalid domain \(domain)") }
        let records: [TXTRecord]
        switch answer {
        case .temporaryFailure(let failure): return (.temperror, "\(domain): \(failure)")
        case .nxdomain, .nodata: return (.none, "\(domain) has no SPF record")
        case .records(let found): records = found.filter { SPFRecord.isSPF($0.text) }
        }
        guard !records.isEmpty else { return (.none, "\(domain) has no SPF record") }
        guard records.count == 1 else { return (.permerror, "\(domain) has \(records.count) SPF records") }
        let record: SPFRecord
        do { record = try SPFRecord(parsing: records[0].text) } catch { return (.permerror, "\(domain): \(error)") }
        let macro = SPFMacro(sender: sender, domain: domain, client: client, helo: helo, receiver: receiver)

        do {
            for directive in record.directives {
                if directive.mechanism.queriesDNS, !limits.countTerm() {
                    throw Stop(
                        result: .permerror,
                        reason: "more than \(MailAuthDefaults.spfDNSTermLimit) DNS-querying terms"
                    )
                }
                if try await matches(directive.mechanism, client: client, macro: macro, limits: &limits) {
                    return (
                        directive.qualifier.result,
                        "\(domain): matched \(directive.qualifier.rawValue)\(Self.name(directive.mechanism))"
                    )
                }
            }
            // §6.1: redirect only when no mechanism matched, and never when the record has "all".
            if let redirect = record.redirect, !record.directives.contains(where: { $0.mechanism == .all }) {
                guard limits.countTerm() else {
                    throw Stop(
                        result: .permerror,
                        reason: "more than \(MailAuthDefaults.spfDNSTermLimit) DNS-querying terms"
                    )
                }
                let target = try targetName(redirect, macro: macro)
                let (result, reason) = await checkHost(
                    client: client,
                    domain: target,
                    sender: sender,
                    helo: helo,
                    limits: &limits
                )
                if result == .none { return (.permerror, "redirect to \(target), which has no SPF record") }
                return (result, reason)
            }
            return (.neutral, "\(domain): no mechanism matched")
        } catch let stop as Stop {
            return (stop.result, stop.reason)
        } catch {
            return (.permerror, "\(error)")
        }
    }

    private func matches(
        _ mechanism: SPFRecord.Mechanism,
        client: IPAddress,
        macro: SPFMacro,
        limits: inout Limits
    ) async throws -> Bool {
        switch mechanism {
        case .all:
            return true
        case .ip4(let network), .ip6(let network):
            return network.contains(client)
        case .include(let spec):
            let target = try targetName(spec, macro: macro)
            let (result, reason) = await checkHost(
                client: client,
                domain: target,
                sender: macro.sender,
                helo: macro.helo,
                limits: &limits
            )
            switch result {
            case .pass: return true
            case .fail, .softfail, .neutral: return false
            case .temperror: throw Stop(result: .temperror, reason: reason ?? "include:\(target)")
            case .permerror, .none:
                throw Stop(result: .permerror, reason: "include:\(target): \(reason ?? result.rawValue)")
            }
        case .a(let spec, let v4, let v6):
            let target = try spec.map { try targetName($0, macro: macro) } ?? macro.domain
            let addresses = try await lookUpAddresses(target, limits: &limits)
            return addresses.contains { IPPrefix.matches($0, client, v4: v4, v6: v6) }
        case .mx(let spec, let v4, let v6):
            let target = try spec.map { try targetName($0, macro: macro) } ?? macro.domain
            let answer = try await resolver.mx(target)
            try check(answer, limits: &limits)
            let hosts = answer.records.filter { !$0.isNullMX }
            guard hosts.count <= MailAuthDefaults.spfNameLimit else {
                throw Stop(
                    result: .permerror,
                    reason: "mx:\(target) has more than \(MailAuthDefaults.spfNameLimit) MX records"
                )
            }
            for host in hosts {
                let addresses = try await lookUpAddresses(host.exchange.description, limits: &limits)
                if addresses.contains(where: { IPPrefix.matches($0, client, v4: v4, v6: v6) }) { return true }
            }
            return false
        case .ptr(let spec):
            let target = try spec.map { try targetName($0, macro: macro) } ?? macro.domain
            return try await validatedNames(client, limits: &limits).contains { name in
                name == target || name.hasSuffix("." + target)
            }
        case .exists(let spec):
            let target = try targetName(spec, macro: macro)
            // §5.7: an A query, whatever the client's family.
            return try await lookUpAddresses(target, limits: &limits).contains {
                if case .v4 = $0 { true } else { false }
            }
        }
    }

    /// The client's names that map back to it (§5.5), at most 10 looked at.
    func validatedNames(_ client: IPAddress, limits: inout Limits) async throws -> [String] {
        let answer = await resolver.ptr(client)
        try check(answer, limits: &limits)
        var names: [String] = []
        for name in answer.records.prefix(MailAuthDefaults.spfNameLimit) {
            let text = name.description.lowercased().trimmingDot()
            guard let forward = try? await resolver.addresses(text) else { continue }
            if case .temporaryFailure = forward { continue }  // §5.5: skipped, not an error
            if forward.records.contains(client) { names.append(text) }
        }
        return names
    }

    /// The addresses of `host`: a DNS failure stops the check with temperror, nothing found counts as
    /// a void look-up.
    private func lookUpAddresses(_ host: String, limits: inout Limits) async throws -> [IPAddress] {
        let answer: DNSResult<IPAddress>
        do { answer = try await resolver.addresses(host) } catch {
            throw Stop(result: .permerror, reason: "invalid name \(host)")
        }
        try check(answer, limits: &limits)
        return answer.records
    }

    private func check<R>(_ answer: DNSResult<R>, limits: inout Limits) throws {
        if case .temporaryFailure(let failure) = answer { throw Stop(result: .temperror, reason: "\(failure)") }
        if !limits.countVoid(answer) {
            throw Stop(result: .permerror, reason: "more than \(MailAuthDefaults.spfVoidLookupLimit) void DNS look-ups")
        }
    }

    /// A domain-spec expanded into the name to look up; names longer than 253 octets lose labels on the
    /// left (§7.3).
    private func targetName(_ spec: String, macro: SPFMacro) throws -> String {
        guard var name = macro.expand(spec) else { throw Stop(result: .permerror, reason: "invalid macro in \(spec)") }
        name = name.lowercased().trimmingDot()
        while name.utf8.count > 253, let dot = name.firstIndex(of: ".") {
            name = String(name[name.index(after: dot)...])
        }
        return name
    }

    static func name(_ mechanism: SPFRecord.Mechanism) -> String {
        switch mechanism {
        case .all: "all"
        case .include(let d): "include:\(d)"
        case .a(let d, _, _): "a" + (d.map { ":" + $0 } ?? "")
        case .mx(let d, _, _): "mx" + (d.map { ":" + $0 } ?? "")
        case .ptr(let d): "ptr" + (d.map { ":" + $0 } ?? "")
        case .ip4(let n): "ip4:\(n.address)/\(n.prefixLength)"
        case .ip6(let n): "ip6:\(n.address)/\(n.prefixLength)"
        case .exists(let d): "exists:\(d)"
        }
    }
}

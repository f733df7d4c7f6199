import DNS
import Foundation
import Logging
import MailAuth

/// What `correo dns DOMAIN --check` found for one record.
public struct DomainCheckResult: Sendable, Equatable {
    /// The verdict.
    public enum Status: String, Sendable {
        /// Published as needed.
        case ok
        /// Nothing at the name (NXDOMAIN, NODATA, or no record of the kind).
        case missing
        /// Something else is published.
        case wrong
        /// The DNS did not answer; nothing is known.
        case error
    }

    /// The record checked.
    public var record: DomainRecord
    /// The verdict.
    public var status: Status
    /// What was found, and for `wrong` what was expected instead.
    public var detail: String
}

/// Asks the DNS, through correo's own resolver, whether each of a domain's records is published.
public enum DomainCheck {
    /// A resolver for `dnsServer` (`IP[:PORT]`), or for /etc/resolv.conf's servers when nil.
    public static func resolver(dnsServer: String?) throws -> DNSResolver {
        var outbound = OutboundConfiguration()
        if let dnsServer { outbound.dnsServers = [dnsServer] }
        return try CorreoService.resolver(outbound, logger: .init(label: "correo.dns"))
    }

    /// Checks every record of `records`, in order, and then the reverse (PTR) of each server address.
    public static func check(_ records: DomainRecords, dnsServer: String?) async throws -> [DomainCheckResult] {
        let resolver = try resolver(dnsServer: dnsServer)
        var results: [DomainCheckResult] = []
        // The hostname's addresses stand for the server's when --ip was not given.
        let hostAddresses = await addresses(of: records.hostname, resolver)
        let serverAddresses = records.addresses.isEmpty ? (hostAddresses.found ?? []) : records.addresses
        for record in records.records {
            let (status, detail) = await check(
                record,
                resolver: resolver,
                serverAddresses: serverAddresses,
                records: records
            )
            results.append(DomainCheckResult(record: record, status: status, detail: detail))
        }
        for address in serverAddresses {
            guard let ip = IPAddress(address) else { continue }
            let record = DomainRecord(
                purpose: "PTR of \(address) (set by the address's owner)",
                name: "\(ip.reverseName).",
                type: "PTR",
                value: records.hostname + ".",
                expectation: .addresses([])
            )
            let (status, detail): (DomainCheckResult.Status, String) =
                switch await resolver.ptr(ip) {
                case .records(let names):
                    names.contains { "\($0)".lowercased() == records.hostname }
                        ? (.ok, "\(records.hostname)")
                        : (
                            .wrong,
                            "found \(names.map { "\($0)" }.joined(separator: ", ")), expected \(records.hostname)"
                        )
                case .nxdomain, .nodata: (.missing, "no PTR record")
                case .temporaryFailure(let failure): (.error, failure.description)
                }
            results.append(DomainCheckResult(record: record, status: status, detail: detail))
        }
        return results
    }

    static func check(
        _ record: DomainRecord,
        resolver: DNSResolver,
        serverAddresses: [String],
        records: DomainRecords
    ) async -> (DomainCheckResult.Status, String) {
        do {
            switch record.expectation {
            case .mx(let exchange):
                switch try await resolver.mx(record.name) {
                case .records(let found):
                    let hosts = found.map { "\($0.exchange)".lowercased() }
                    return hosts.contains(exchange)
                        ? (.ok, "MX \(exchange)")
                        : (.wrong, "found MX \(hosts.joined(separator: ", ")), expected \(exchange)")
                case .nxdomain, .nodata: return (.missing, "no MX record")
                case .temporaryFailure(let failure): return (.error, failure.description)
                }
            case .txt(let prefix, let spf):
                let texts: [String]
                switch try await txt(record.name, prefix: prefix, resolver) {
                case .success(let found): texts = found
                case .failure(let failure): return failure.verdict
                }
                guard texts.count == 1 else {
                    return (.wrong, "\(texts.count) \(prefix) records, one expected: \(texts.joined(separator: " | "))")
                }
                if squeezed(texts[0]) == squeezed(record.value) { return (.ok, texts[0]) }
                if spf, !serverAddresses.isEmpty, await spfPasses(records.domain, serverAddresses, resolver) {
                    return (.ok, "\(texts[0]) (passes for \(serverAddresses.joined(separator: ", ")))")
                }
                return (.wrong, "found \"\(texts[0])\", expected \"\(record.value)\"")
            case .txtTags(let prefix, let wanted):
                let texts: [String]
                switch try await txt(record.name, prefix: prefix, resolver) {
                case .success(let found): texts = found
                case .failure(let failure): return failure.verdict
                }
                guard texts.count == 1 else { return (.wrong, "\(texts.count) \(prefix) records, one expected") }
                let tags = Self.tags(texts[0])
                for (tag, values) in wanted.sorted(by: { $0.key < $1.key }) {
                    guard let value = tags[tag], values.isEmpty || values.contains(value.lowercased()) else {
                        let expected = values.isEmpty ? "a \(tag)= tag" : "\(tag)=\(values.joined(separator: " or "))"
                        return (.wrong, "found \"\(texts[0])\", expected \(expected)")
                    }
                }
                return (.ok, texts[0])
            case .srv(let port, let target):
                switch try await resolver.query(name: record.name, type: DNSType(rawValue: 33)) {
                case .records(let found):
                    let services = found.compactMap { record -> (port: Int, target: String)? in
                        guard case .unknown(let data) = record.data else { return nil }
                        return Self.service(data)
                    }
                    // "Not offered" is the target "." whatever the port says (RFC 6186 §4).
                    if target == ".", services.contains(where: { $0.target == "." }) {
                        return (.ok, "not offered (target .)")
                    }
                    if services.contains(where: { $0.port == port && $0.target == target }) {
                        return (.ok, "port \(port) on \(target)")
                    }
                    let seen = services.map { "port \($0.port) on \($0.target)" }.joined(separator: ", ")
                    return (
                        .wrong,
                        "found \(seen.isEmpty ? "an unreadable SRV record" : seen), expected port \(port) on \(target)"
                    )
                case .nxdomain, .nodata: return (.missing, "no SRV record")
                case .temporaryFailure(let failure): return (.error, failure.description)
                }
            case .addresses(let given):
                let expected = given.isEmpty ? serverAddresses : given
                let found = await addresses(of: String(record.name.dropLast()), resolver)
                guard let addresses = found.found else { return found.failure ?? (.missing, "no address") }
                if expected.isEmpty || Set(expected).isSubset(of: Set(addresses)) {
                    return (.ok, addresses.joined(separator: ", "))
                }
                return (
                    .wrong, "found \(addresses.joined(separator: ", ")), expected \(expected.joined(separator: ", "))"
                )
            }
        } catch {
            return (.error, "\(error)")
        }
    }

    /// Why a look-up gave no records.
    struct LookupFailure: Error {
        var verdict: (DomainCheckResult.Status, String)
    }

    /// The TXT texts at `name` that begin with `prefix` (without case); a failure when there are none.
    static func txt(
        _ name: String,
        prefix: String,
        _ resolver: DNSResolver
    ) async throws -> Result<[String], LookupFailure> {
        switch try await resolver.txt(name) {
        case .records(let found):
            let texts = found.map { String(decoding: $0.text, as: UTF8.self) }
                .filter { $0.lowercased().hasPrefix(prefix.lowercased()) }
            return texts.isEmpty ? .failure(LookupFailure(verdict: (.missing, "no \(prefix) record"))) : .success(texts)
        case .nxdomain, .nodata: return .failure(LookupFailure(verdict: (.missing, "no \(prefix) record")))
        case .temporaryFailure(let failure): return .failure(LookupFailure(verdict: (.error, failure.description)))
        }
    }

    /// The addresses of `host` as text, or why there are none.
    static func addresses(
        of host: String,
        _ resolver: DNSResolver
    ) async -> (found: [String]?, failure: (DomainCheckResult.Status, String)?) {
        do {
            switch try await resolver.addresses(host) {
            case .records(let found) where !found.isEmpty: return (found.map { "\($0)" }, nil)
            case .records, .nxdomain, .nodata: return (nil, (.missing, "no A or AAAA record"))
            case .temporaryFailure(let failure): return (nil, (.error, failure.description))
            }
        } catch {
            return (nil, (.error, "\(error)"))
        }
    }

    /// Whether mail from each address passes SPF for `domain` (the operator's own record may say more
    /// than correo's suggestion, such as another sender's `include:`).
    static func spfPasses(_ domain: String, _ addresses: [String], _ resolver: DNSResolver) async -> Bool {
        let checker = SPFChecker(resolver: resolver)
        for address in addresses {
            guard let ip = IPAddress(address) else { return false }
            let verdict = await checker.check(client: ip, helo: domain, mailFrom: "postmaster@\(domain)")
            guard verdict.result == .pass else { return false }
        }
        return true
    }

    /// Text without white space, for comparing records whose spacing may differ.
    static func squeezed(_ text: String) -> String { text.filter { !$0.isWhitespace } }

    /// The `tag=value` pairs of a DMARC or TLS-RPT record, tags lower-cased.
    static func tags(_ text: String) -> [String: String] {
        var tags: [String: String] = [:]
        for part in text.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            tags[pair[0].trimmingCharacters(in: .whitespaces).lowercased()] = pair[1].trimmingCharacters(
                in: .whitespaces
            )
        }
        return tags
    }

    /// Port and target of SRV RDATA (RFC 2782: priority, weight, port, then the target, uncompressed);
    /// the target lower-cased without its final dot, "." for the root.
    static func service(_ data: [UInt8]) -> (port: Int, target: String)? {
        guard data.count >= 7 else { return nil }
        let port = Int(data[4]) << 8 | Int(data[5])
        var labels: [String] = []
        var index = 6
        while index < data.count {
            let length = Int(data[index])
            if length == 0 { return (port, labels.isEmpty ? "." : labels.joined(separator: ".").lowercased()) }
            guard length < 64, index + 1 + length <= data.count else { return nil }
            labels.append(String(decoding: data[(index + 1)..<(index + 1 + length)], as: UTF8.self))
            index += 1 + length
        }
        return nil
    }
}

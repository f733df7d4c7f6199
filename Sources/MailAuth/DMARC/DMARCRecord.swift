import Foundation

/// A DMARC policy record (RFC 7489 §6.3), the tags correo acts on.
///
/// Reports (`rua`, `ruf`) are not sent, so their tags are read past.
public struct DMARCRecord: Sendable, Hashable {
    /// What the domain asks receivers to do with mail that fails (§6.3 `p`).
    public enum Policy: String, Sendable, Hashable {
        case none, quarantine, reject

        /// One step less strict: what a message not picked by `pct` gets (§6.6.4).
        var relaxed: Policy {
            switch self {
            case .reject: .quarantine
            case .quarantine, .none: .none
            }
        }
    }

    /// Alignment mode (`adkim`, `aspf`): relaxed (same organisational domain) or strict (same name).
    public enum Alignment: String, Sendable, Hashable {
        case relaxed = "r"
        case strict = "s"
    }

    /// `p`: the policy for the domain itself.
    public var policy: Policy
    /// `sp`: the policy for subdomains, when the record was found at the organisational domain.
    public var subdomainPolicy: Policy?
    /// `adkim`: how closely the DKIM `d=` domain must match the From domain (relaxed by default).
    public var dkimAlignment: Alignment
    /// `aspf`: how closely the SPF-checked domain must match the From domain (relaxed by default).
    public var spfAlignment: Alignment
    /// `pct`: the percentage of failing mail the policy applies to.
    public var percentage: Int

    /// Why a record is not a usable one.
    public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The tag or problem that made the record unusable.
        public var detail: String
        /// The reason in words, for the log and the Authentication-Results comment.
        public var description: String { "invalid DMARC record: \(detail)" }
    }

    /// Whether the TXT text is a DMARC record: it starts with the `v=DMARC1` tag (§6.4).
    public static func isDMARC(_ text: [UInt8]) -> Bool {
        guard let tags = try? TagList(parsing: text), let first = tags.tags.first else {
            // A record with a broken later tag is still DMARC's; look at its start alone.
            let start = String(decoding: text.prefix(16), as: UTF8.self).replacingOccurrences(of: " ", with: "")
            return start.hasPrefix("v=DMARC1;") || start == "v=DMARC1"
        }
        return first.name == "v" && first.value == "DMARC1"
    }

    /// Parses a TXT record's text (§6.4); throws when it is not a usable DMARC record (§6.6.3).
    public init(parsing text: [UInt8]) throws(SyntaxError) {
        let tags: TagList
        do { tags = try TagList(parsing: text) } catch { throw SyntaxError(detail: "\(error)") }
        guard tags.tags.first?.name == "v", tags.tags.first?.value == "DMARC1" else {
            throw SyntaxError(detail: "v=DMARC1 is not first")
        }
        // §6.6.3: a record without a valid p= but with a rua= is read as p=none; without either it is
        // no record.
        if let p = tags["p"]?.lowercased() {
            guard let policy = Policy(rawValue: p) else { throw SyntaxError(detail: "p=\(p)") }
            self.policy = policy
        } else if tags["rua"] != nil {
            policy = .none
        } else {
            throw SyntaxError(detail: "no p=")
        }
        subdomainPolicy = tags["sp"].flatMap { Policy(rawValue: $0.lowercased()) }
        dkimAlignment = tags["adkim"].flatMap { Alignment(rawValue: $0.lowercased()) } ?? .relaxed
        spfAlignment = tags["aspf"].flatMap { Alignment(rawValue: $0.lowercased()) } ?? .relaxed
        if let pct = tags["pct"] {
            guard let value = Int(pct), (0...100).contains(value) else { throw SyntaxError(detail: "pct=\(pct)") }
            percentage = value
        } else {
            percentage = 100
        }
    }
}

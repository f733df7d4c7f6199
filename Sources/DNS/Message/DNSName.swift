/// A domain name as a sequence of labels of octets (RFC 1035 §3.1), compared without regard to ASCII
/// case (RFC 4343 §3).
///
/// The labels are the octets of the wire, never a `String` round trip; a label may hold any octet. The
/// text form (`init(_:)`, `description`) is for the API and for logs only.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// The labels, from the leftmost; the root label is implied (the root name has none).
    public let labels: [[UInt8]]

    /// The root name `.`.
    public static let root = DNSName(uncheckedLabels: [])

    /// A name from its labels, checked against RFC 1035 §2.3.4's limits: no empty label, at most 63
    /// octets a label, 255 octets on the wire.
    public init(labels: [[UInt8]]) throws(DNSError) {
        var length = 1
        for label in labels {
            guard !label.isEmpty, label.count <= DNSDefaults.maxLabelLength else {
                throw .invalidName(DNSName(uncheckedLabels: labels).description)
            }
            length += 1 + label.count
        }
        guard length <= DNSDefaults.maxNameLength else {
            throw .invalidName(DNSName(uncheckedLabels: labels).description)
        }
        self.labels = labels
    }

    /// A name from its dotted text form, taken as absolute.
    ///
    /// The final dot is optional (`example.org`, `example.org.`, `.` for the root). Names are taken as absolute: no
    /// search list is applied (a mail domain is always fully qualified, RFC 5321 §2.3.5). Each label's octets are the
    /// text's UTF-8; a domain with non-ASCII labels must be converted to A-labels (IDNA) first.
    public init(_ text: String) throws(DNSError) {
        var bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: ".")] {
            self = .root
            return
        }
        if bytes.last == UInt8(ascii: ".") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw .invalidName(text) }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map(Array.init)
        do { try self.init(labels: labels) } catch { throw .invalidName(text) }
    }

    /// A name whose labels are known to be within the limits (the decoder checks them as it reads).
    init(uncheckedLabels: [[UInt8]]) { labels = uncheckedLabels }

    /// The octets the name takes on the wire, uncompressed: each label with its length octet, and the
    /// root's zero octet.
    public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    /// Whether this is the root name (RFC 7505's null MX names it as its exchange).
    public var isRoot: Bool { labels.isEmpty }

    /// The name with one more label in front (`_25._tcp` before a host, for TLSA).
    public func prepending(_ label: String) throws(DNSError) -> DNSName {
        try DNSName(labels: [Array(label.utf8)] + labels)
    }

    /// Names are equal when their labels are, ASCII letters compared without case (RFC 4343 §3).
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.labels.count == rhs.labels.count else { return false }
        for (left, right) in zip(lhs.labels, rhs.labels) {
            guard left.count == right.count else { return false }
            for (a, b) in zip(left, right) where asciiLowercased(a) != asciiLowercased(b) { return false }
        }
        return true
    }

    /// Hashes the lowercased labels, so that equal names hash alike.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(labels.count)
        for label in labels {
            hasher.combine(label.count)
            for octet in label { hasher.combine(asciiLowercased(octet)) }
        }
    }

    /// The dotted text form without the final dot (`.` for the root); a dot or backslash inside a label
    /// is escaped with `\`, other octets outside printable ASCII as `\DDD` (RFC 4343 §2.1).
    public var description: String {
        guard !labels.isEmpty else { return "." }
        var text = ""
        for (index, label) in labels.enumerated() {
            if index > 0 { text.append(".") }
            for octet in label {
                switch octet {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    text.append("\\")
                    text.unicodeScalars.append(Unicode.Scalar(octet))
                case 0x21...0x7E: text.unicodeScalars.append(Unicode.Scalar(octet))
                default:
                    let digits = String(octet)
                    text.append("\\" + String(repeating: "0", count: 3 - digits.count) + digits)
                }
            }
        }
        return text
    }
}

/// An ASCII octet's lowercase form; other octets unchanged.
@inline(__always)
func asciiLowercased(_ octet: UInt8) -> UInt8 {
    (octet >= UInt8(ascii: "A") && octet <= UInt8(ascii: "Z")) ? octet | 0x20 : octet
}

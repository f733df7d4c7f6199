import MailCore

/// A DKIM canonicalisation algorithm (RFC 6376 §3.4): how header fields and the body are prepared
/// before they are hashed, so that changes mail systems make in transit do not break a signature.
public enum DKIMCanonicalization: String, Sendable, Hashable {
    /// No change at all, except that trailing empty lines of the body are ignored (§3.4.1, §3.4.3).
    case simple
    /// Case of field names, runs of whitespace, folding and trailing whitespace are ignored
    /// (§3.4.2, §3.4.4).
    case relaxed

    /// Canonicalises a header field, given as its full octets with the final CRLF.
    ///
    /// `withCRLF` false leaves the final CRLF off, as for the DKIM-Signature field itself (§3.7).
    public func header(_ field: [UInt8], withCRLF: Bool = true) -> [UInt8] {
        switch self {
        case .simple:
            var output = field
            if !withCRLF, output.last == 0x0A {
                output.removeLast()
                if output.last == 0x0D { output.removeLast() }
            } else if withCRLF, output.last != 0x0A {
                output += [13, 10]
            }
            return output
        case .relaxed:
            return Self.relaxedHeader(field) + (withCRLF ? [13, 10] : [])
        }
    }

    /// §3.4.2: name lower-cased, value unfolded, WSP runs made one SP, WSP around the colon and at the
    /// end removed.
    private static func relaxedHeader(_ field: [UInt8]) -> [UInt8] {
        guard let colon = field.firstIndex(of: UInt8(ascii: ":")) else { return field }
        var output: [UInt8] = []
        output.reserveCapacity(field.count)
        for byte in field[..<colon] where !isWSP(byte) {
            output.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
        }
        output.append(UInt8(ascii: ":"))
        var pendingSpace = false
        var started = false
        for byte in field[(colon + 1)...] {
            if byte == 0x0D || byte == 0x0A { continue }  // unfolding: CRLF goes, the WSP after it stays
            if isWSP(byte) {
                pendingSpace = started
                continue
            }
            if pendingSpace { output.append(0x20) }
            pendingSpace = false
            started = true
            output.append(byte)
        }
        return output
    }

    /// The body canonicalised (§3.4.3, §3.4.4).
    ///
    /// DKIM works on the SMTP form: bare LFs and CRs are made CRLF first (`MessageFields` has done so already for a
    /// whole message).
    public func body(_ body: some Collection<UInt8>) -> [UInt8] {
        var body = Array(body)
        if LineEnds.hasBareLineBreak(body) { body = LineEnds.crlfLineBreaks(body) }
        var output: [UInt8] = []
        output.reserveCapacity(body.count + 2)
        switch self {
        case .simple:
            output.append(contentsOf: body)
            if !output.isEmpty, output.last != 0x0A { output += [13, 10] }
        case .relaxed:
            var whitespace = false
            var previous: UInt8 = 0
            for byte in body {
                if isWSP(byte) {
                    whitespace = true
                } else if byte == 0x0D {
                    whitespace = false  // WSP at the end of a line goes
                    output.append(byte)
                } else {
                    if whitespace, !(byte == 0x0A && previous == 0x0D) { output.append(0x20) }
                    whitespace = false
                    output.append(byte)
                }
                if !isWSP(byte) { previous = byte }
            }
            if !output.isEmpty, output.last != 0x0A { output += [13, 10] }
        }
        // Trailing empty lines are ignored by both.
        while output.count >= 4, output[output.count - 4] == 0x0D, output[output.count - 3] == 0x0A,
            output[output.count - 2] == 0x0D, output[output.count - 1] == 0x0A
        {
            output.removeLast(2)
        }
        if output == [13, 10], self == .relaxed { output = [] }
        if output.isEmpty, self == .simple { output = [13, 10] }
        return output
    }

    /// The `c=` tag's two algorithms, `header/body`; a missing body part means simple (§3.5).
    public static func pair(_ tag: String?) -> (header: DKIMCanonicalization, body: DKIMCanonicalization)? {
        guard let tag else { return (.simple, .simple) }
        let parts = tag.lowercased().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let header = DKIMCanonicalization(rawValue: String(parts[0])) else { return nil }
        guard parts.count == 2 else { return (header, .simple) }
        guard let body = DKIMCanonicalization(rawValue: String(parts[1])) else { return nil }
        return (header, body)
    }
}

@inline(__always) func isWSP(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

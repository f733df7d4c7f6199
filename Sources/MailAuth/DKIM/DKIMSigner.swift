import Crypto

/// Signs messages with DKIM (RFC 6376 §5): relaxed/relaxed, the header fields of §5.4.1 that the
/// message has, and From, Subject and Date once more than present (§8.15 "oversigning": a second
/// From or a Subject added in transit then breaks the signature).
public struct DKIMSigner: Sendable {
    /// The signing domain (`d=`), lower-cased.
    public var domain: String
    /// The selector (`s=`): the key is published at SELECTOR._domainkey.DOMAIN.
    public var selector: String
    /// The private key whose public half that record holds.
    public var key: DKIMPrivateKey

    /// RFC 6376 §5.4.1's list of fields that should be signed, when present.
    public static let recommendedHeaders = [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Resent-Date", "Resent-From", "Resent-To",
        "Resent-Cc", "In-Reply-To", "References", "List-Id", "List-Help", "List-Unsubscribe",
        "List-Subscribe", "List-Post", "List-Owner", "List-Archive", "Message-ID", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Description", "Sender",
        "List-Unsubscribe-Post",
    ]
    /// Fields signed once more than they occur (§8.15).
    public static let oversignedHeaders: Set<String> = ["From", "Subject", "Date"]

    /// Makes a signer for `domain` (lower-cased) with the key published under `selector`.
    public init(domain: String, selector: String, key: DKIMPrivateKey) {
        self.domain = domain.lowercased()
        self.selector = selector
        self.key = key
    }

    /// The DKIM-Signature field for `message` (folded, CRLF at the end), to put at its top.
    ///
    /// `now` is seconds since 1970 (`t=`).
    public func signatureField(for message: [UInt8], now: Int) throws -> [UInt8] {
        let fields = MessageFields(message)
        let bodyHash = SHA256.hash(data: DKIMCanonicalization.relaxed.body(fields.body))
        var names: [String] = []
        for name in Self.recommendedHeaders {
            let count = fields.fields(named: name).count
            names += Array(repeating: name, count: count + (Self.oversignedHeaders.contains(name) ? 1 : 0))
        }
        var field = "DKIM-Signature: v=1; a=\(key.algorithm.rawValue); c=relaxed/relaxed; d=\(domain);\r\n"
        field += "\ts=\(selector); t=\(now);\r\n"
        field += Self.fold("h=" + names.joined(separator: ":") + ";", separator: ":")
        field += "\tbh=\(Base64Strict.encode(Array(bodyHash)));\r\n"
        field += "\tb="
        var hashed = DKIMHeaderHash.data(fields: fields, signed: names, canonicalization: .relaxed)
        hashed += DKIMCanonicalization.relaxed.header(Array(field.utf8), withCRLF: false)
        let signature = try key.sign(digest: SHA256.hash(data: hashed))
        var output = Array(field.utf8)
        // The b= value folded at 72 columns: whitespace inside b= is ignored by verifiers (§3.5).
        let text = Array(Base64Strict.encode(signature).utf8)
        var start = 0
        var column = 3
        while start < text.count {
            let take = min(text.count - start, 72 - column)
            output += text[start..<start + take]
            start += take
            if start < text.count { output += Array("\r\n\t ".utf8) }
            column = 2
        }
        return output + [13, 10]
    }

    /// Signs `message`: it comes back with the DKIM-Signature field on top.
    public func sign(_ message: [UInt8], now: Int) throws -> [UInt8] {
        try signatureField(for: message, now: now) + message
    }

    /// `text` folded before 76 columns at `separator`s, each line starting with a tab, ending in CRLF.
    static func fold(_ text: String, separator: Character) -> String {
        var lines: [String] = []
        var line = ""
        for (index, part) in text.split(separator: separator, omittingEmptySubsequences: false).enumerated() {
            let piece = (index == 0 ? "" : String(separator)) + part
            if line.count + piece.count > 70, !line.isEmpty {
                lines.append(line)
                line = ""
            }
            line += piece
        }
        lines.append(line)
        return lines.map { "\t\($0)\r\n" }.joined()
    }
}

/// The header part of the signed data (§5.4.2): for each name in h=, the last field of that name not
/// already used, searched from the bottom; a name with no field left contributes nothing.
enum DKIMHeaderHash {
    static func data(fields: MessageFields, signed names: [String], canonicalization: DKIMCanonicalization) -> [UInt8] {
        var used = Set<Int>()
        var data: [UInt8] = []
        for name in names {
            guard
                let index = fields.fields.indices.last(where: { !used.contains($0) && fields.fields[$0].isNamed(name) })
            else { continue }
            used.insert(index)
            data += canonicalization.header(fields.fields[index].bytes)
        }
        return data
    }
}

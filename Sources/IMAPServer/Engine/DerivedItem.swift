import Crypto
import MailCore
import MailStore

/// FETCH items computed from a message's content that the store keeps, encoded, in its derived
/// cache (`Mailbox.storeDerivedValues`): computing them means reading and parsing the message, and
/// clients ask for them again after every restart (Thunderbird's and mutt's header lists).
///
/// The kind names carry a version: a change to how an item is built or encoded must bump it, so
/// values an older correo kept are not served.
enum DerivedItem: Equatable {
    case envelope
    case body
    case bodyStructure
    /// `BODY[HEADER.FIELDS (…)]` of the whole message: the section's bytes, kept per set of names.
    ///
    /// A header sync asks for the same list every time, and the fields are about half of a header:
    /// keeping them instead of the whole header halves what the store holds, writes and reads back
    /// after a restart, and the answer needs no cutting.
    case headerFields(HeaderFieldSet)

    /// The store's kind for this item.
    var kind: String {
        switch self {
        case .envelope: "imap-envelope-1"
        case .body: "imap-body-1"
        case .bodyStructure: "imap-bodystructure-1"
        case .headerFields(let set): set.kind
        }
    }

    /// What must be read to compute it.
    var need: FetchEngine.Need {
        switch self {
        case .envelope, .headerFields: .header
        case .body, .bodyStructure: .whole
        }
    }

    init?(_ attribute: FetchAttribute) {
        switch attribute {
        case .envelope: self = .envelope
        case .body: self = .body
        case .bodyStructure: self = .bodyStructure
        case .bodySection(let section, _, _):
            // Only the message's own header: a part's fields are rarer, and cut from a whole message.
            guard section.part.isEmpty, case .headerFields(let names) = section.kind,
                let set = HeaderFieldSet(names)
            else { return nil }
            self = .headerFields(set)
        default: return nil
        }
    }

    /// The encoded item (`ENVELOPE (…)`) for `message`; for header fields, the section's bytes.
    func encoded(_ message: inout LoadedMessage) -> [UInt8] {
        let item: FetchResponseItem
        switch self {
        case .envelope: item = .envelope(EnvelopeBuilder.envelope(message.header()))
        case .body: item = .body(BodyStructureBuilder.structure(message.root()))
        case .bodyStructure: item = .bodyStructure(BodyStructureBuilder.structure(message.root()))
        case .headerFields(let set): return HeaderFieldFilter.fields(message.bytes, named: set.names)
        }
        var writer = ResponseWriter()
        writer.fetchItem(item)
        return writer.bytes
    }
}

/// The names of a `HEADER.FIELDS` list as the answer depends on them: the fields come out in the
/// header's order and names match ASCII case-insensitively, so `(Subject FROM)` and `(from subject)`
/// are one set, kept under one kind.
struct HeaderFieldSet: Hashable {
    /// The names in lower case, sorted, each once.
    let names: [String]
    /// The store's kind: a digest of the names, since Thunderbird's list alone is 130 bytes, which
    /// every message's entry would carry.
    let kind: String

    /// The set of `names`; nil when a name is not printable ASCII (then its case folding is not
    /// the filter's, and the section is cut from the header each time).
    init?(_ names: [String]) {
        guard !names.isEmpty, names.allSatisfy({ $0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } }) else {
            return nil
        }
        let canonical = Array(Set(names.map { String(decoding: $0.utf8.map(Self.lowercased), as: UTF8.self) })).sorted()
        self.names = canonical
        let digest = SHA256.hash(data: Array(canonical.joined(separator: " ").utf8))
        kind = "imap-hf-1-" + digest.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

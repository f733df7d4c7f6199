import MailCore
import MailStore

/// FETCH items computed from a message's content that the store keeps, encoded, in its derived
/// cache (`Mailbox.storeDerivedValues`): computing them means reading and parsing the message, and
/// clients ask for them again after every restart (Thunderbird's and mutt's header lists).
///
/// The kind names carry a version: a change to how an item is built or encoded must bump it, so
/// values an older correo kept are not served.
enum DerivedItem: CaseIterable {
    case envelope
    case body
    case bodyStructure

    /// The store's kind for this item.
    var kind: String {
        switch self {
        case .envelope: "imap-envelope-1"
        case .body: "imap-body-1"
        case .bodyStructure: "imap-bodystructure-1"
        }
    }

    /// What must be read to compute it.
    var need: FetchEngine.Need {
        switch self {
        case .envelope: .header
        case .body, .bodyStructure: .whole
        }
    }

    init?(_ attribute: FetchAttribute) {
        switch attribute {
        case .envelope: self = .envelope
        case .body: self = .body
        case .bodyStructure: self = .bodyStructure
        default: return nil
        }
    }

    /// The encoded item (`ENVELOPE (…)`) for `message`.
    func encoded(_ message: inout LoadedMessage) -> [UInt8] {
        let item: FetchResponseItem
        switch self {
        case .envelope: item = .envelope(EnvelopeBuilder.envelope(message.header()))
        case .body: item = .body(BodyStructureBuilder.structure(message.root()))
        case .bodyStructure: item = .bodyStructure(BodyStructureBuilder.structure(message.root()))
        }
        var writer = ResponseWriter()
        writer.fetchItem(item)
        return writer.bytes
    }
}

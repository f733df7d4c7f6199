import Foundation

/// One newsgroup as `correo group` made it (RFC 3977 §6.1.1, §7.6).
public struct Newsgroup: Codable, Hashable, Sendable {
    /// The group's name, such as `lists.dev` (lower case, see `Newsgroup.validate`).
    public var name: String
    /// The one-line description of LIST NEWSGROUPS.
    public var description: String
    /// Mail accepted over SMTP for this address is archived in the group (a list-to-news gateway).
    public var address: String?
    /// Posting refused (LIST ACTIVE status `n`, POST answered 440).
    public var readOnly: Bool
    /// When the group was made (LIST ACTIVE.TIMES, NEWGROUPS).
    public var created: Date
    /// Who made it (LIST ACTIVE.TIMES).
    public var creator: String

    /// A group record.
    public init(
        name: String,
        description: String = "",
        address: String? = nil,
        readOnly: Bool = false,
        created: Date = Date(),
        creator: String = "correo"
    ) {
        self.name = name
        self.description = description
        self.address = address
        self.readOnly = readOnly
        self.created = created
        self.creator = creator
    }

    /// Refuses names that are not RFC 3977 §4.1-safe newsgroup names here.
    ///
    /// A safe name is dot-separated levels of ASCII letters, digits, `+`, `-` and `_`, none empty, at
    /// most 200 octets. No wildmat specials, no "/", so a name is also a safe folder name.
    public static func validate(_ name: String) throws {
        func refuse(_ reason: String) -> MailStoreError { .invalidMailboxName(name, reason: reason) }
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= MailStorageLimits.maximumMailboxComponentBytes else {
            throw refuse("a group name has 1 to \(MailStorageLimits.maximumMailboxComponentBytes) octets")
        }
        let allowed: (UInt8) -> Bool = { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        guard bytes.allSatisfy(allowed) else {
            throw refuse("use lower-case letters, digits, '+', '-', '_' and '.' between levels")
        }
        guard !name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
            throw refuse("a level of the name is empty")
        }
    }
}

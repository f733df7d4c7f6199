import Foundation
import Logging
import MailStorage
import MailStore
import PostgresNIO

/// The newsgroups in the database, shared by every node: a `newsgroups` row names the group and its
/// mailbox (a `mailboxes` row with no owner), whose UIDs are the article numbers, so an article posted
/// on one node has the same number on all of them and NNTP readers may move between nodes.
extension PostgresMailStore: NewsgroupStore {
    /// The owner a group's `PostgresMailbox` is given: never an address, which has an `@`.
    static let newsOwner = "#news"

    /// Every group, sorted by name.
    public func newsgroups() async throws -> [Newsgroup] {
        try await groups(where: nil, address: nil)
    }

    /// The group called `name`, or nil.
    public func newsgroup(_ name: String) async throws -> Newsgroup? {
        try await groups(where: name, address: nil).first
    }

    /// The group whose address is `address` (without case), or nil; throws when the database cannot be asked.
    public func newsgroup(address: String) async throws -> Newsgroup? {
        try await groups(where: nil, address: address).first
    }

    /// Makes the group and its mailbox in one transaction; `MailStoreError.mailboxExists` when the name
    /// or (without case) the address is taken.
    ///
    /// The table is locked against other writers for the check of the address: a case-insensitive
    /// uniqueness that the `UNIQUE` column alone does not give.
    public func addNewsgroup(_ group: Newsgroup) async throws {
        try Newsgroup.validate(group.name)
        let mailboxName = try Self.mailboxName(group: group.name).description
        try await existing(.mailboxExists(group.name)) {
            try await transaction { connection in
                try await connection.query("LOCK TABLE newsgroups IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                let taken = try await connection.query(
                    """
                    SELECT name FROM newsgroups
                    WHERE name = \(group.name) OR lower(address) = lower(\(group.address))
                    """,
                    logger: logger
                ).collect()
                if let row = taken.first {
                    let name = try row.decode(String.self)
                    throw MailStoreError.mailboxExists(name == group.name ? group.name : group.address ?? name)
                }
                try await connection.query(
                    """
                    WITH made AS (
                        INSERT INTO mailboxes (user_id, name, uid_validity)
                        VALUES (NULL, \(mailboxName), nextval('uid_validity_sequence'))
                        RETURNING id
                    )
                    INSERT INTO newsgroups (name, mailbox_id, description, address, read_only, created, creator)
                    SELECT \(group.name), id, \(group.description), \(group.address), \(group.readOnly),
                           \(group.created), \(group.creator)
                    FROM made
                    """,
                    logger: logger
                )
            }
        }
    }

    /// Removes the group, its mailbox and its articles (bodies no other message or queue entry uses go
    /// too); readers that have it open hear a change and find it empty.
    public func deleteNewsgroup(_ name: String) async throws {
        try Newsgroup.validate(name)
        try await transaction { connection in
            let rows = try await connection.query(
                "DELETE FROM newsgroups WHERE name = \(name) RETURNING mailbox_id",
                logger: logger
            ).collect()
            guard let mailboxID = try rows.first?.decode(Int64.self) else {
                throw MailStoreError.mailboxNotFound(name)
            }
            try await removeMailbox(mailboxID, on: connection)
        }
    }

    /// The group's mailbox; `MailStoreError.mailboxNotFound` when there is no such group.
    public func openNewsgroup(_ name: String) async throws -> any MailboxHandle {
        PostgresMailboxHandle(store: self, mailbox: try await newsgroupMailbox(name))
    }

    /// The row of the group's mailbox; `MailStoreError.mailboxNotFound` when there is no such group.
    public func newsgroupMailbox(_ name: String) async throws -> PostgresMailbox {
        try Newsgroup.validate(name)
        let rows = try await client.query(
            """
            SELECT m.id, m.uid_validity FROM newsgroups g JOIN mailboxes m ON m.id = g.mailbox_id
            WHERE g.name = \(name)
            """,
            logger: logger
        ).collect()
        guard let (id, validity) = try rows.first?.decode((Int64, Int64).self) else {
            throw MailStoreError.mailboxNotFound(name)
        }
        return PostgresMailbox(
            id: id,
            user: Self.newsOwner,
            name: try Self.mailboxName(group: name),
            uidValidity: UInt32(truncatingIfNeeded: validity)
        )
    }

    /// A group's name as a mailbox name: its levels, as the Maildir store names a group's mailbox.
    static func mailboxName(group: String) throws -> MailboxName {
        try MailboxName(group.split(separator: ".").map(String.init))
    }

    /// The groups called `name`, or whose address is `address`, or all (both nil), by name.
    private func groups(where name: String?, address: String?) async throws -> [Newsgroup] {
        let rows = try await client.query(
            """
            SELECT name, description, address, read_only, created, creator FROM newsgroups
            WHERE (\(name)::text IS NULL OR name = \(name))
              AND (\(address)::text IS NULL OR lower(address) = lower(\(address)))
            ORDER BY name
            """,
            logger: logger
        )
        var found: [Newsgroup] = []
        for try await (name, description, address, readOnly, created, creator) in rows.decode(
            (String, String, String?, Bool, Date, String).self
        ) {
            found.append(
                Newsgroup(
                    name: name,
                    description: description,
                    address: address,
                    readOnly: readOnly,
                    created: created,
                    creator: creator
                )
            )
        }
        return found
    }
}

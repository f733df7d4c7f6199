extension SchemaMigration {
    /// Version 4: `expunged_messages` kept bounded per mailbox.
    ///
    /// Every EXPUNGE and MOVE adds a row per message and nothing took rows away, so a mailbox that
    /// receives and deletes mail grew the table for ever. The oldest rows are now pruned
    /// (`PostgresStoreDefaults.expungedMessagesKept` per mailbox), and `vanished_floor` records the
    /// highest mod-sequence whose expunges may have been forgotten: asked about anything older, the
    /// store says it does not know (RFC 7162 lets a server answer VANISHED (EARLIER) with a superset).
    static let version4 = SchemaMigration(
        version: 4,
        name: "expunged messages pruned",
        sql: """
            ALTER TABLE mailboxes ADD COLUMN vanished_floor bigint NOT NULL DEFAULT 0;
            CREATE INDEX expunged_messages_by_modseq ON expunged_messages (mailbox_id, modseq);
            """
    )
}

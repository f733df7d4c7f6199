extension SchemaMigration {
    /// Version 3: subscriptions are names, as RFC 3501 6.3.6 has them, not a mark on a mailbox row.
    ///
    /// A client may subscribe to a name that has no mailbox (yet), and DELETE must not end a
    /// subscription ("MUST NOT unilaterally remove an existing mailbox name from the subscription
    /// list"); a column of `mailboxes` could do neither. The marks set until now become rows.
    static let version3 = SchemaMigration(
        version: 3,
        name: "subscriptions by name",
        sql: """
            CREATE TABLE subscriptions (
                user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                name    text NOT NULL,
                PRIMARY KEY (user_id, name)
            );
            INSERT INTO subscriptions (user_id, name)
            SELECT user_id, name FROM mailboxes WHERE subscribed AND user_id IS NOT NULL;
            ALTER TABLE mailboxes DROP COLUMN subscribed;
            """
    )
}

extension SchemaMigration {
    /// Version 2: the derived cache, the outbound queue and the newsgroups.
    ///
    /// The derived values (header section, ENVELOPE, BODYSTRUCTURE, overview line) depend on a
    /// message's bytes only, so they hang off the body and are computed once for every copy of it. The
    /// queue is claimed by workers on any node with `FOR UPDATE SKIP LOCKED` on `queue_entries`.
    static let version2 = SchemaMigration(
        version: 2,
        name: "derived cache, outbound queue, newsgroups",
        sql: """
            CREATE TABLE derived_values (
                body_id bigint NOT NULL REFERENCES message_bodies (id) ON DELETE CASCADE,
                kind    text NOT NULL,
                value   bytea NOT NULL,
                PRIMARY KEY (body_id, kind)
            );

            -- One queued message: its bytes are a body like any other; its envelope (sender, per-
            -- recipient state, DSN parameters) is the QueueEnvelope JSON the Maildir queue keeps.
            -- claimed_by/claimed_until: the node working on it; a claim that ran out (the node died)
            -- is taken over by the next worker whose SELECT … FOR UPDATE SKIP LOCKED reaches it.
            CREATE TABLE queue_entries (
                id            text PRIMARY KEY,
                body_id       bigint NOT NULL REFERENCES message_bodies (id),
                envelope      jsonb NOT NULL,
                next_attempt  timestamptz NOT NULL,
                held          boolean NOT NULL DEFAULT false,
                claimed_by    text,
                claimed_until timestamptz
            );
            CREATE INDEX queue_entries_due ON queue_entries (next_attempt) WHERE NOT held;

            -- A newsgroup's articles are the messages of its mailbox (no owner); UIDs are the
            -- article numbers.
            CREATE TABLE newsgroups (
                name        text PRIMARY KEY,
                mailbox_id  bigint NOT NULL UNIQUE REFERENCES mailboxes (id),
                description text NOT NULL DEFAULT '',
                address     text UNIQUE,
                read_only   boolean NOT NULL DEFAULT false,
                created     timestamptz NOT NULL DEFAULT now(),
                creator     text NOT NULL
            );
            """
    )
}

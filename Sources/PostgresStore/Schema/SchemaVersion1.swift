extension SchemaMigration {
    /// Version 1: users, mailboxes with their UID and MODSEQ counters, message bytes stored once in
    /// chunks, and the messages of each mailbox with flags and keywords.
    ///
    /// A mailbox row is the lock under which its UIDs and mod-sequences are allocated: every append and
    /// every flag change updates it first, so that two nodes appending at once queue on that row and a
    /// UID becomes visible only in the order it was given (an IMAP client never sees UID 7 before 6).
    static let version1 = SchemaMigration(
        version: 1,
        name: "users, mailboxes, messages, chunked bodies",
        sql: """
            CREATE TABLE users (
                id            bigserial PRIMARY KEY,
                address       text NOT NULL UNIQUE CHECK (address = lower(address)),
                password_hash text,
                created       timestamptz NOT NULL DEFAULT now()
            );

            -- RFC 3501 2.3.1.1: UIDVALIDITY values are never reused for a name, so they come from one
            -- sequence that starts at the migration's time (as Maildir's do) and only grows.
            CREATE SEQUENCE uid_validity_sequence AS bigint MINVALUE 1 MAXVALUE 4294967295;
            SELECT setval('uid_validity_sequence', extract(epoch FROM now())::bigint);

            CREATE TABLE mailboxes (
                id             bigserial PRIMARY KEY,
                user_id        bigint REFERENCES users (id) ON DELETE CASCADE,
                name           text NOT NULL,
                uid_validity   bigint NOT NULL CHECK (uid_validity BETWEEN 1 AND 4294967295),
                uid_next       bigint NOT NULL DEFAULT 1 CHECK (uid_next BETWEEN 1 AND 4294967296),
                highest_modseq bigint NOT NULL DEFAULT 1,
                special_use    text,
                subscribed     boolean NOT NULL DEFAULT true,
                UNIQUE (user_id, name)
            );

            -- The bytes of one message, however many mailboxes hold it: a delivery to ten local
            -- recipients stores them once. The bytes themselves are in message_chunks, so that a 50 MB
            -- message is never one 50 MB value in memory on either side.
            CREATE TABLE message_bodies (
                id            bigserial PRIMARY KEY,
                size          bigint NOT NULL CHECK (size >= 0),
                header_length bigint NOT NULL CHECK (header_length >= 0),
                chunk_bytes   integer NOT NULL CHECK (chunk_bytes > 0),
                created       timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE message_chunks (
                body_id bigint NOT NULL REFERENCES message_bodies (id) ON DELETE CASCADE,
                seq     integer NOT NULL CHECK (seq >= 0),
                data    bytea NOT NULL,
                PRIMARY KEY (body_id, seq)
            );

            -- flags: MessageFlags' bits (\\Seen 1, \\Answered 2, \\Flagged 4, \\Deleted 8, \\Draft 16).
            CREATE TABLE messages (
                mailbox_id    bigint NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
                uid           bigint NOT NULL CHECK (uid BETWEEN 1 AND 4294967295),
                body_id       bigint NOT NULL REFERENCES message_bodies (id),
                flags         smallint NOT NULL DEFAULT 0,
                keywords      text[] NOT NULL DEFAULT '{}',
                internal_date timestamptz NOT NULL,
                modseq        bigint NOT NULL,
                PRIMARY KEY (mailbox_id, uid)
            );
            CREATE INDEX messages_by_modseq ON messages (mailbox_id, modseq);
            CREATE INDEX messages_by_body ON messages (body_id);

            -- RFC 7162 QRESYNC: which UIDs went away at which mod-sequence (VANISHED (EARLIER)).
            CREATE TABLE expunged_messages (
                mailbox_id bigint NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
                uid        bigint NOT NULL,
                modseq     bigint NOT NULL,
                PRIMARY KEY (mailbox_id, uid)
            );
            """
    )
}

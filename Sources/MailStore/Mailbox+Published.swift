import Synchronization

/// A mailbox's records offered to readers that do not wait for the mailbox's queue (NNTP's ARTICLE,
/// answered on the connection's event loop: no thread hop per article).
///
/// Why a read from them is right: a file in cur/ never changes its content (a flag change renames it,
/// an expunge unlinks it, and a Maildir base name is never reused), so a UID → file name map taken
/// from the mailbox's state reads the message's own bytes or finds no file, never another message.
/// The mailbox withdraws the records whenever its folder state is replaced (before every change and
/// after it, `Mailbox.folder`'s observer) and publishes them again only on its own queue, when asked:
/// a reader sees the actor's current state or nothing.
final class PublishedRecords: Sendable {
    struct Folder: Sendable {
        let curPath: String
        /// Ascending by UID, as `MaildirFolder.records`.
        let records: [MessageRecord]

        func record(uid: UInt32) -> MessageRecord? {
            MaildirFolder.index(of: uid, in: records).map { records[$0] }
        }
    }

    private let folder = Mutex<Folder?>(nil)

    func withdraw() { folder.withLock { $0 = nil } }

    func publish(_ published: Folder) { folder.withLock { $0 = published } }

    var current: Folder? { folder.withLock { $0 } }
}

extension Mailbox {
    /// What `readPublished(uid:headerOnly:)` found.
    public enum PublishedRead: Sendable, Equatable {
        /// The message (or its header section with the blank line), CRLF form.
        case message([UInt8])
        /// The mailbox, as it stands, has no message with that UID.
        case absent
        /// Nothing is published (the mailbox changed since), or the file went meanwhile: ask the
        /// mailbox (`publishForReading()`, then `readMessages` or `headerSections`).
        case unknown
    }

    /// Offers the current records to `readPublished` until the next change.
    ///
    /// Cheap: the records are shared, not copied (the next change takes them back before it writes).
    public func publishForReading() {
        guard let current = folder else { return }
        published.publish(PublishedRecords.Folder(curPath: current.curPath, records: current.records))
    }

    /// Reads a message on the caller's thread if the mailbox's current records are published.
    ///
    /// One open, read and close, no hop onto the mailbox's queue: blocking file I/O, meant for the
    /// small files of a news group.
    public nonisolated func readPublished(uid: UInt32, headerOnly: Bool) -> PublishedRead {
        guard let folder = published.current else { return .unknown }
        guard let record = folder.record(uid: uid) else { return .absent }
        let bytes: [UInt8]?
        if headerOnly {
            bytes = try? MaildirFolder.readHeader(record, in: folder.curPath)
        } else {
            bytes = try? MaildirFolder.read(record, in: folder.curPath)
        }
        return bytes.map(PublishedRead.message) ?? .unknown
    }
}

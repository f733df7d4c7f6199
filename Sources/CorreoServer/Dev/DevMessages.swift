import Foundation
import Logging
import MailStore

/// The captured messages as the API and the web page see them: the all-mail mailbox of the store, each
/// message's envelope beside it, a cache of parsed summaries, and the arrivals as they come.
public actor DevMessages {
    let store: MailStore
    let logger: Logger
    /// STORAGE/dev/envelopes/: `<Maildir base name>.json` per message of the all-mail mailbox.
    let envelopes: URL
    private var summaries: [UInt32: DevMessageSummary] = [:]
    private var listeners: [UUID: AsyncStream<DevMessageSummary>.Continuation] = [:]

    /// The captured messages of `store`, their envelopes kept under STORAGE/dev/envelopes/.
    public init(store: MailStore, logger: Logger) {
        self.store = store
        self.logger = logger
        envelopes = store.root.appendingPathComponent("dev/envelopes", isDirectory: true)
    }

    /// The all-mail INBOX, caught up with the disk.
    private func allMail() async throws -> Mailbox {
        let mailbox = try await store.mailbox(user: DevMode.allMailUser, name: .inbox)
        try await mailbox.synchronize()
        return mailbox
    }

    // MARK: - Arrivals

    /// Called by the delivery once a message is durable: keeps its envelope, then tells every listener.
    func arrived(allMailFile fileName: String, envelope: DevEnvelope) async {
        let base = Self.base(of: fileName)
        do {
            try FileManager.default.createDirectory(at: envelopes, withIntermediateDirectories: true)
            try JSONEncoder().encode(envelope).write(
                to: envelopes.appendingPathComponent(base + ".json"),
                options: .atomic
            )
        } catch {
            // The message is delivered; only the API's envelope view of it is missing.
            logger.warning("dev: could not keep the envelope", metadata: ["error": "\(error)"])
        }
        guard let mailbox = try? await allMail() else { return }
        for record in (try? await mailbox.datedSnapshot()) ?? [] where Self.base(of: record.fileName) == base {
            // A list that ran between the link and the envelope file may have kept it without envelope.
            summaries[record.uid] = nil
            guard let summary = try? await summarize(record, in: mailbox) else { continue }
            for listener in listeners.values { listener.yield(summary) }
        }
    }

    /// Every message that arrives from now on, until the caller stops iterating.
    public func arrivals() -> AsyncStream<DevMessageSummary> {
        let (stream, continuation) = AsyncStream<DevMessageSummary>.makeStream(bufferingPolicy: .bufferingNewest(100))
        let id = UUID()
        listeners[id] = continuation
        continuation.onTermination = { _ in Task { await self.stopListening(id) } }
        return stream
    }

    private func stopListening(_ id: UUID) {
        listeners[id] = nil
    }

    // MARK: - Reading

    /// Every message matching `filter`, newest first.
    public func list(_ filter: DevMessageFilter = DevMessageFilter()) async throws -> [DevMessageSummary] {
        let mailbox = try await allMail()
        var result: [DevMessageSummary] = []
        for record in try await mailbox.datedSnapshot().reversed() {
            guard let summary = try? await summarize(record, in: mailbox), filter.matches(summary) else { continue }
            result.append(summary)
        }
        return result
    }

    /// One message's bytes and summary; nil when there is no such id.
    public func message(_ id: String) async throws -> (summary: DevMessageSummary, parsed: DevParsedMessage)? {
        guard let uid = UInt32(id), id.allSatisfy(\.isASCII) else { return nil }
        let mailbox = try await allMail()
        guard let record = try await mailbox.datedSnapshot().first(where: { $0.uid == uid }) else { return nil }
        let parsed = DevParsedMessage(bytes: try await mailbox.readMessage(uid: uid))
        let summary = parsed.summary(
            id: id,
            received: record.internalDate ?? Date(timeIntervalSince1970: 0),
            size: record.size,
            envelope: envelope(base: Self.base(of: record.fileName))
        )
        return (summary, parsed)
    }

    private func summarize(_ record: MessageRecord, in mailbox: Mailbox) async throws -> DevMessageSummary {
        if let cached = summaries[record.uid] { return cached }
        let parsed = DevParsedMessage(bytes: try await mailbox.readMessage(uid: record.uid))
        let summary = parsed.summary(
            id: String(record.uid),
            received: record.internalDate ?? Date(timeIntervalSince1970: 0),
            size: record.size,
            envelope: envelope(base: Self.base(of: record.fileName))
        )
        // Kept once it has its envelope (a message that came by IMAP APPEND never has one: read again).
        if summary.envelope != nil { summaries[record.uid] = summary }
        return summary
    }

    private func envelope(base: String) -> DevEnvelope? {
        guard let data = try? Data(contentsOf: envelopes.appendingPathComponent(base + ".json")) else { return nil }
        return try? JSONDecoder().decode(DevEnvelope.self, from: data)
    }

    // MARK: - Deleting

    /// Deletes the message everywhere: from the all-mail mailbox and each recipient's INBOX (where it
    /// still is).
    ///
    /// Returns whether there was such a message.
    @discardableResult
    public func delete(_ id: String) async throws -> Bool {
        guard let uid = UInt32(id), id.allSatisfy(\.isASCII) else { return false }
        let mailbox = try await allMail()
        guard let record = await mailbox.snapshot().first(where: { $0.uid == uid }) else { return false }
        try await remove([record], from: mailbox)
        return true
    }

    /// Deletes every captured message; returns how many there were.
    @discardableResult
    public func deleteAll() async throws -> Int {
        let mailbox = try await allMail()
        let records = await mailbox.snapshot()
        try await remove(records, from: mailbox)
        return records.count
    }

    private func remove(_ records: [MessageRecord], from mailbox: Mailbox) async throws {
        // Each recipient's link has a name of its own: it is found by the inode it shares with this one.
        var recipients: Set<String> = []
        var inodes: Set<UInt64> = []
        for record in records {
            recipients.formUnion(envelope(base: Self.base(of: record.fileName))?.recipients ?? [])
            if let inode = Self.inode(await mailbox.messageURL(uid: record.uid)) { inodes.insert(inode) }
        }
        for recipient in recipients.sorted() {
            guard let inbox = try? await store.mailbox(user: recipient, name: .inbox) else { continue }
            try await inbox.synchronize()
            var linked: [UInt32] = []
            for record in await inbox.snapshot() {
                if let inode = Self.inode(await inbox.messageURL(uid: record.uid)), inodes.contains(inode) {
                    linked.append(record.uid)
                }
            }
            try await Self.expunge(linked, from: inbox)
        }
        try await Self.expunge(records.map(\.uid), from: mailbox)
        for record in records {
            summaries[record.uid] = nil
            try? FileManager.default.removeItem(
                at: envelopes.appendingPathComponent(Self.base(of: record.fileName) + ".json")
            )
        }
    }

    /// Marks `uids` \Deleted and expunges them (UID EXPUNGE takes only what is so marked).
    static func expunge(_ uids: [UInt32], from mailbox: Mailbox) async throws {
        guard !uids.isEmpty else { return }
        try await mailbox.setFlags(uids: uids, flags: .deleted, operation: .add)
        try await mailbox.expunge(uids: uids)
    }

    /// The file's inode number, nil when it is gone.
    static func inode(_ url: URL?) -> UInt64? {
        guard let url, let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
        return (attributes[.systemFileNumber] as? NSNumber)?.uint64Value
    }

    /// A Maildir file name without its `:2,flags` part.
    static func base(of fileName: String) -> String {
        String(fileName.split(separator: ":", maxSplits: 1).first ?? "")
    }
}

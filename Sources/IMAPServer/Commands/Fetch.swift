import MailStore

extension MailStoreExecutor {
    /// Untagged responses are handed to the sink in batches of about this many bytes of message data.
    static let fetchBatchBytes = 256 * 1024
    /// Messages asked of the store per hop (headers, cached items, whole messages).
    static let fetchChunkMessages = 256

    /// Whole messages read per hop stop at about this many bytes (at least one message is read).
    static let fetchChunkBytes = 1024 * 1024

    /// The whole messages read per hop: `fetchChunkMessages`, no more than `fetchChunkBytes` of them.
    static let wholeMessageRun = WholeMessageRun(count: fetchChunkMessages, bytes: fetchChunkBytes)

    /// Where the chunk starting at `start` ends: `fetchChunkMessages` items, and when whole messages
    /// are read, no more than `fetchChunkBytes` of them (`size` gives item i's size).
    static func chunkEnd(from start: Int, count: Int, wholeMessages: Bool, size: (Int) -> Int) -> Int {
        guard wholeMessages else { return min(start + fetchChunkMessages, count) }
        return start + wholeMessageRun.end(count: count - start) { size(start + $0) }
    }

    // RFC 3501 §6.4.5 FETCH, §6.4.8 UID FETCH; RFC 7162 §3.1.4 CHANGEDSINCE. The rules are
    // `FetchPlan`'s and the encoding `FetchRenderer`'s; this runs the store calls between them.
    func fetch(
        _ set: SequenceSet,
        _ attributes: [FetchAttribute],
        changedSince: UInt64?,
        uid: Bool,
        request: ExecutionRequest,
        sink: ResponseSink
    ) async throws -> CommandOutcome {
        let tag = request.tag
        var current = try requireSelected()
        let msns: [Int]
        do {
            msns = try current.view.resolve(set, byUID: uid)
        } catch {
            throw CommandFailure(.bad, nil, "Invalid message sequence number")
        }
        let mailbox = current.mailbox
        let condStore = request.condStore
        let plan = FetchPlan(
            attributes: attributes,
            uid: uid,
            condStore: condStore,
            changedSince: changedSince,
            readOnly: current.view.readOnly
        )
        let (records, firstWhole) = try await Self.records(
            msns.map { current.view.message(msn: $0).uid },
            plan,
            withInternalDates: attributes.contains(.internalDate),
            mailbox
        )

        let unseenBefore = try await setSeen(plan, msns, records, &current)

        var batch: [IMAPResponse] = []
        var batchBytes = 0
        let (chunks, gone) = Self.chunks(msns, records, current.view, changedSince, plan)
        // The next chunk is read while this one is rendered: after a restart its files wait on the
        // disk, while rendering (a BODYSTRUCTURE parsed from a whole message) waits on the CPU. One
        // chunk ahead at most, so a FETCH 1:* holds at most two chunks' bytes.
        // The first is read here: a FETCH of one chunk (most are) costs no task.
        var next: Task<ChunkContent, any Error>?
        defer { next?.cancel() }
        var missing = gone
        for (number, entries) in chunks.enumerated() {
            let read: ChunkContent
            if let reading = next {
                read = try await reading.value
            } else if let firstWhole, entries.allSatisfy({ firstWhole[$0.message.uid] != nil }) {
                read = ChunkContent(
                    cached: [],
                    levels: Array(repeating: .whole, count: entries.count),
                    contents: entries.map { firstWhole[$0.message.uid] }
                )
            } else {
                read = try await Self.readChunk(entries, plan, mailbox)
            }
            next = chunks.indices.contains(number + 1) ? Self.startReading(chunks[number + 1], plan, mailbox) : nil
            var computed = [[(uid: UInt32, value: [UInt8])]](repeating: [], count: plan.derivedItems.count)

            for (i, entry) in entries.enumerated() {
                let (msn, message, record) = (entry.msn, entry.message, entry.record)
                guard let content = await content(of: entry, i, read, plan, mailbox) else {
                    missing = true
                    continue
                }
                let (loaded, rangeData) = content
                let rendered = FetchRenderer.render(
                    plan,
                    message: message,
                    record: record,
                    flags: current.view.displayFlags(message),
                    reportsFlags: unseenBefore.contains(message.uid),
                    cached: read.cached.map { $0[i] },
                    loaded: loaded,
                    rangeData: rangeData
                )
                for (k, value) in rendered.computed { computed[k].append((message.uid, value)) }
                batchBytes += max(rendered.bytes, loaded?.bytes.count ?? 0)
                batch.append(.untagged(.fetch(msn, rendered.items)))
                if batchBytes >= Self.fetchBatchBytes {
                    await sink.send(batch)
                    batch.removeAll(keepingCapacity: true)
                    batchBytes = 0
                }
            }
            for (k, item) in plan.derivedItems.enumerated() where !computed[k].isEmpty {
                try await mailbox.storeDerivedValues(computed[k], kind: item.kind)
            }
        }
        // RFC 3501 §7.4.1: no EXPUNGE while answering FETCH (UID FETCH may have them).
        let updates = try await updates(allowExpunge: uid, condStore: condStore)
        let done: IMAPResponse =
            missing
            ? .ok(tag, .expungeIssued, "FETCH completed; some messages were expunged by another session")
            : .ok(tag, "\(uid ? "UID FETCH" : "FETCH") completed")
        // The last batch goes out with the tagged response: one write instead of a wait for the sink.
        return CommandOutcome(responses: batch + updates + [done])
    }

    /// What the store holds of each message asked for, by position (nil: expunged meanwhile); when
    /// only whole messages are read, those of the first chunk come in the same call (most clients
    /// fetch one body per command: one hop to the store instead of two).
    nonisolated(nonsending) private static func records(
        _ uids: [UInt32],
        _ plan: FetchPlan,
        withInternalDates: Bool,
        _ mailbox: any MailboxHandle
    ) async throws -> (records: [MailboxMessage?], firstWhole: [UInt32: [UInt8]]?) {
        guard plan.derivedItems.isEmpty, plan.otherNeed == .whole else {
            return (try await mailbox.messages(uids: uids, withInternalDates: withInternalDates), nil)
        }
        let both = try await mailbox.messages(
            uids: uids,
            withInternalDates: withInternalDates,
            readingWhole: wholeMessageRun
        )
        return (both.records, both.contents)
    }

    /// RFC 3501 §6.4.5: sets `\Seen` where the plan says so and records the new flags in `current`;
    /// returns the UIDs that were unseen before, whose FLAGS the responses then report.
    private func setSeen(
        _ plan: FetchPlan,
        _ msns: [Int],
        _ records: [MailboxMessage?],
        _ current: inout Selected
    ) async throws -> Set<UInt32> {
        let unseen = plan.marksSeen(msns.map { current.view.message(msn: $0) })
        guard !unseen.isEmpty else { return [] }
        let changed = try await current.mailbox.changeFlags(uids: unseen, flags: .seen, keywords: [], operation: .add)
        for record in changed {
            current.view.setFlags(uid: record.uid, flags: Self.flags(of: record), modSeq: record.modSeq)
        }
        selected = current
        var unseenBefore = Set<UInt32>()
        for (position, msn) in msns.enumerated() where !(records[position]?.flags.contains(.seen) ?? true) {
            unseenBefore.insert(current.view.message(msn: msn).uid)
        }
        return unseenBefore
    }

    /// The content of the `i`th entry of a chunk: the message as read, and the plan's range of it
    /// (read here, one message at a time); nil when the message has gone from the store.
    private func content(
        of entry: FetchEntry,
        _ i: Int,
        _ read: ChunkContent,
        _ plan: FetchPlan,
        _ mailbox: any MailboxHandle
    ) async -> (LoadedMessage?, [UInt8]?)? {
        var loaded: LoadedMessage?
        if read.levels[i] != .nothing {
            guard let bytes = read.contents[i] else { return nil }
            loaded = LoadedMessage(bytes: bytes, headerOnly: read.levels[i] == .header)
        }
        guard let range = plan.wholeMessageRange else { return (loaded, nil) }
        let size = entry.record.size
        let start = min(Int(range.offset), size)
        let end = min(start + Int(range.length), size)
        guard start < end else { return (loaded, []) }
        guard let data = try? await mailbox.readMessage(uid: entry.message.uid, range: start..<end) else { return nil }
        return (loaded, data)
    }

    /// One message of a FETCH chunk: its sequence number, as the session sees it, and as the store has it.
    struct FetchEntry {
        var msn: Int
        var message: SelectedMailboxView.Message
        var record: MailboxMessage
    }

    /// What the store returned for one chunk: per derived item, the cached encodings (nil where none);
    /// per message, how much was read and the bytes (nil when the message has gone).
    struct ChunkContent {
        var cached: [[[UInt8]?]]
        var levels: [FetchEngine.Need]
        var contents: [[UInt8]?]
    }

    /// The messages of a FETCH in chunks (`chunkEnd`), without those not changed since
    /// `changedSince`; `missing` when some message is gone from the store.
    private static func chunks(
        _ msns: [Int],
        _ records: [MailboxMessage?],
        _ view: SelectedMailboxView,
        _ changedSince: UInt64?,
        _ plan: FetchPlan
    ) -> (chunks: [[FetchEntry]], missing: Bool) {
        var missing = false
        var chunks: [[FetchEntry]] = []
        var chunkStart = 0
        while chunkStart < msns.count {
            let chunkEnd = chunkEnd(from: chunkStart, count: msns.count, wholeMessages: plan.mayReadWhole) {
                records[$0]?.size ?? 0
            }
            let chunk = chunkStart..<chunkEnd
            chunkStart = chunkEnd
            var entries: [FetchEntry] = []
            entries.reserveCapacity(chunk.count)
            for position in chunk {
                let msn = msns[position]
                let message = view.message(msn: msn)
                guard let record = records[position] else {
                    missing = true
                    continue
                }
                if let changedSince, message.modSeq <= changedSince { continue }
                entries.append(FetchEntry(msn: msn, message: message, record: record))
            }
            if !entries.isEmpty { chunks.append(entries) }
        }
        return (chunks, missing)
    }

    /// Starts reading a chunk away from this actor, so that it goes on while the actor renders.
    private static func startReading(
        _ entries: [FetchEntry],
        _ plan: FetchPlan,
        _ mailbox: any MailboxHandle
    ) -> Task<ChunkContent, any Error> {
        Task.detached { try await readChunk(entries, plan, mailbox) }
    }

    /// Reads one chunk with one store hop per kind: cached encodings, then headers, then whole
    /// messages for what the cache did not answer.
    nonisolated(nonsending) private static func readChunk(
        _ entries: [FetchEntry],
        _ plan: FetchPlan,
        _ mailbox: any MailboxHandle
    ) async throws -> ChunkContent {
        let uids = entries.map(\.message.uid)
        var cached: [[[UInt8]?]] = []
        for item in plan.derivedItems { cached.append(try await mailbox.derivedValues(uids: uids, kind: item.kind)) }
        var levels = [FetchEngine.Need](repeating: plan.otherNeed, count: entries.count)
        for (k, item) in plan.derivedItems.enumerated() {
            for i in entries.indices where cached[k][i] == nil { levels[i] = max(levels[i], item.need) }
        }
        var contents = [[UInt8]?](repeating: nil, count: entries.count)
        let headerIndexes = entries.indices.filter { levels[$0] == .header }
        if !headerIndexes.isEmpty {
            let read = try await mailbox.headerSections(uids: headerIndexes.map { uids[$0] }, keep: plan.keepsHeaders)
            for (i, bytes) in zip(headerIndexes, read) { contents[i] = bytes }
        }
        let wholeIndexes = entries.indices.filter { levels[$0] == .whole }
        if !wholeIndexes.isEmpty {
            let read = try await mailbox.readMessages(uids: wholeIndexes.map { uids[$0] })
            for (i, bytes) in zip(wholeIndexes, read) { contents[i] = bytes }
        }
        return ChunkContent(cached: cached, levels: levels, contents: contents)
    }
}

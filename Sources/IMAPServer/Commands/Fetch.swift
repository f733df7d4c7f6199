import MailStore

extension MailStoreExecutor {
    /// Untagged responses are handed to the sink in batches of about this many bytes of message data.
    static let fetchBatchBytes = 256 * 1024

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
        let (entries, gone) = Self.entries(msns, records, current.view, changedSince)
        // The next chunk is read while this one is rendered: after a restart its files wait on the
        // disk, while rendering (a BODYSTRUCTURE parsed from a whole message) waits on the CPU. One
        // chunk ahead at most, so a FETCH 1:* holds at most two chunks' bytes.
        // The first is read here: a FETCH of one chunk (most are) costs no task.
        var next: Task<ChunkContent, any Error>?
        defer { next?.cancel() }
        var missing = gone
        var start = 0
        var lookups = Self.fetchChunkMessages
        while start < entries.count {
            let read: ChunkContent
            if let reading = next {
                read = try await reading.value
            } else if start == 0, let first = Self.firstChunk(entries, firstWhole) {
                read = first
            } else {
                read = try await Self.readChunk(entries[start...], lookups: lookups, plan, mailbox)
            }
            let chunk = entries[start..<start + read.count]
            start = chunk.endIndex
            lookups = Self.lookups(after: read, lookups)
            next = start < entries.count ? Self.startReading(entries[start...], lookups: lookups, plan, mailbox) : nil
            var computed = [[(uid: UInt32, value: [UInt8])]](repeating: [], count: plan.derivedItems.count)

            for (i, entry) in chunk.enumerated() {
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
        if uids.count == 1, plan.derivedItems.isEmpty, plan.otherNeed == .whole,
            let cached = mailbox.messageIfCached(uid: uids[0], withInternalDates: withInternalDates)
        {
            return ([cached.message], [uids[0]: cached.bytes])
        }
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
}

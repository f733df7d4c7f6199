import Foundation
import MailStore

extension MailStoreExecutor {
    // RFC 3501 §6.4.4 SEARCH, §6.4.8 UID SEARCH; RFC 4731 ESEARCH; RFC 7162 §3.1.5 MODSEQ. The rules
    // are `SearchPlan`'s, `SearchEngine`'s and `SearchRenderer`'s; this is the store calls between them.
    func search(
        _ search: SearchCommand,
        uid: Bool,
        request: ExecutionRequest,
        sink: ResponseSink
    ) async throws
        -> CommandOutcome
    {
        let tag = request.tag
        let plan = try SearchPlan(search)
        let need = plan.need
        let current = try requireSelected()
        let mailbox = current.mailbox
        // What the store holds of each message in the view, by position (nil: expunged meanwhile).
        let viewUIDs = (0..<current.view.count).map { current.view.message(msn: $0 + 1).uid }
        let records = try await mailbox.messages(uids: viewUIDs, withInternalDates: search.key.usesInternalDate)
        let engine = SearchEngine(lastMSN: UInt32(current.view.count), lastUID: current.view.lastUID, key: search.key)
        let fieldNames = SearchEngine.headerFieldNames(search.key)
        var found: [SearchRenderer.Match] = []
        var chunks: [Range<Int>] = []
        // A key that reads no content (flags, sizes, dates) needs no chunks, and nothing read ahead.
        var chunkStart = need == .nothing ? current.view.count : 0
        if need == .nothing, chunkStart > 0 { chunks.append(0..<chunkStart) }
        while chunkStart < current.view.count {
            // Whole messages by size; header fields (a few dozen bytes each, from the cache) by the
            // most a FETCH window looks up: 20 hops on 20,000 messages, not 79.
            let end =
                need == .whole
                ? chunkStart
                    + Self.wholeMessageRun.end(count: current.view.count - chunkStart) {
                        records[chunkStart + $0]?.size ?? 0
                    }
                : min(chunkStart + Self.fetchLookupsMost, current.view.count)
            chunks.append(chunkStart..<end)
            chunkStart = end
        }
        let uidsOf = { (chunk: Range<Int>) in chunk.map { current.view.message(msn: $0 + 1).uid } }
        // As FETCH does: the next chunk is read while the engine goes through this one.
        // The first is read here: a SEARCH of one chunk costs no task.
        var next: Task<[[UInt8]?], any Error>?
        defer { next?.cancel() }
        for (number, chunk) in chunks.enumerated() {
            let contents: [[UInt8]?]
            if let reading = next {
                contents = try await reading.value
            } else {
                contents = try await Self.read(uidsOf(chunk), need, fieldNames, mailbox)
            }
            next =
                chunks.indices.contains(number + 1)
                ? Self.startReading(uidsOf(chunks[number + 1]), need, fieldNames, mailbox) : nil
            for (offset, index) in chunk.enumerated() {
                let message = current.view.message(msn: index + 1)
                guard let record = records[index] else { continue }
                let candidate = SearchEngine.Candidate(
                    msn: index + 1,
                    uid: message.uid,
                    flags: message.flags,
                    isRecent: current.view.recent.contains(message.uid),
                    size: record.size,
                    // Read for every message when a key compares it (`usesInternalDate`), unused otherwise.
                    internalDate: record.internalDate ?? Date(timeIntervalSince1970: 0),
                    modSeq: message.modSeq
                )
                var loaded: LoadedMessage?
                if need != .nothing, let bytes = contents[offset] {
                    loaded = LoadedMessage(bytes: bytes, headerOnly: need == .header)
                }
                if engine.matches(search.key, candidate, &loaded) {
                    found.append(.init(msn: index + 1, uid: message.uid, modSeq: message.modSeq))
                }
            }
        }
        let responses = [SearchRenderer.render(plan, search, found: found, uid: uid, tag: tag)]
        let updates = try await updates(allowExpunge: uid, condStore: request.condStore)
        return CommandOutcome(responses: responses + updates + [.ok(tag, "\(uid ? "UID SEARCH" : "SEARCH") completed")])
    }

    /// Starts reading a chunk away from this actor (`read`), so that it goes on while the engine
    /// matches the one before.
    private static func startReading(
        _ uids: [UInt32],
        _ need: FetchEngine.Need,
        _ fieldNames: [String],
        _ mailbox: any MailboxHandle
    ) -> Task<[[UInt8]?], any Error> {
        Task.detached { try await read(uids, need, fieldNames, mailbox) }
    }

    /// One chunk's headers, fields or messages, with one store hop for the chunk instead of one or two
    /// per message.
    nonisolated(nonsending) private static func read(
        _ uids: [UInt32],
        _ need: FetchEngine.Need,
        _ fieldNames: [String],
        _ mailbox: any MailboxHandle
    ) async throws -> [[UInt8]?] {
        switch need {
        case .nothing: []
        // Only the fields the key reads: the engine finds in them what it finds in the header.
        case .header: try await mailbox.headerFields(uids: uids, named: fieldNames)
        case .whole: try await mailbox.readMessages(uids: uids)
        }
    }
}

import MailStore

extension MailStoreExecutor {
    // RFC 3501 §6.4.4 SEARCH, §6.4.8 UID SEARCH; RFC 4731 ESEARCH; RFC 7162 §3.1.5 MODSEQ.
    func search(
        _ search: SearchCommand,
        uid: Bool,
        request: ExecutionRequest,
        sink: ResponseSink
    ) async throws
        -> CommandOutcome
    {
        let tag = request.tag
        if let charset = search.charset, !["UTF-8", "US-ASCII"].contains(charset) {
            throw CommandFailure(.no, .badCharset(["UTF-8", "US-ASCII"]), "Unsupported charset")
        }
        let current = try requireSelected()
        let mailbox = current.mailbox
        let records = await mailbox.snapshot()
        let need = SearchEngine.need(search.key)
        let engine = SearchEngine(lastMSN: UInt32(current.view.count), lastUID: current.view.lastUID)
        var found: [(msn: Int, uid: UInt32, modSeq: UInt64)] = []
        var chunkStart = 0
        while chunkStart < current.view.count {
            let end = Self.chunkEnd(from: chunkStart, count: current.view.count, wholeMessages: need == .whole) {
                Self.record(uid: current.view.message(msn: $0 + 1).uid, in: records)?.size ?? 0
            }
            let chunk = chunkStart..<end
            chunkStart = chunk.upperBound
            let uids = chunk.map { current.view.message(msn: $0 + 1).uid }
            // One hop for the chunk's headers or messages instead of one or two per message.
            let contents: [[UInt8]?] =
                switch need {
                case .nothing: []
                case .header: await mailbox.headerSections(uids: uids)
                case .whole: await mailbox.readMessages(uids: uids)
                }
            for (offset, index) in chunk.enumerated() {
                let message = current.view.message(msn: index + 1)
                guard let record = Self.record(uid: message.uid, in: records) else { continue }
                let candidate = SearchEngine.Candidate(
                    msn: index + 1,
                    uid: message.uid,
                    flags: message.flags,
                    isRecent: current.view.recent.contains(message.uid),
                    size: record.size,
                    internalDate: record.internalDate,
                    modSeq: message.modSeq
                )
                var loaded: LoadedMessage?
                if need != .nothing, let bytes = contents[offset] {
                    loaded = LoadedMessage(bytes: bytes, headerOnly: need == .header)
                }
                if engine.matches(search.key, candidate, &loaded) {
                    found.append((index + 1, message.uid, message.modSeq))
                }
            }
        }
        let numbers = found.map { uid ? $0.uid : UInt32($0.msn) }
        let modSeq: UInt64? = search.key.usesModSeq ? found.map(\.modSeq).max() : nil
        var responses: [IMAPResponse] = []
        if let options = search.returnOptions {
            var items: [ESearchItem] = []
            let wanted = options.isEmpty ? [.all] : options
            if wanted.contains(.min), let first = numbers.min() { items.append(.min(first)) }
            if wanted.contains(.max), let last = numbers.max() { items.append(.max(last)) }
            if wanted.contains(.all), !numbers.isEmpty { items.append(.all(SequenceSet.compact(numbers))) }
            if wanted.contains(.count) { items.append(.count(numbers.count)) }
            if let modSeq, !numbers.isEmpty { items.append(.modSeq(modSeq)) }
            responses.append(.untagged(.esearch(tag: tag, uid: uid, items)))
        } else {
            responses.append(.untagged(.search(numbers, modSeq: numbers.isEmpty ? nil : modSeq)))
        }
        let updates = try await updates(allowExpunge: uid, condStore: request.condStore)
        return CommandOutcome(responses: responses + updates + [.ok(tag, "\(uid ? "UID SEARCH" : "SEARCH") completed")])
    }
}

import MailStore

extension MailStoreExecutor {
    /// Untagged responses are handed to the sink in batches of about this many bytes of message data.
    static let fetchBatchBytes = 256 * 1024

    // RFC 3501 §6.4.5 FETCH, §6.4.8 UID FETCH; RFC 7162 §3.1.4 CHANGEDSINCE.
    func fetch(
        _ set: SequenceSet, _ attributes: [FetchAttribute], changedSince: UInt64?, uid: Bool, request: ExecutionRequest,
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
        let records = Dictionary(await mailbox.snapshot().map { ($0.uid, $0) }, uniquingKeysWith: { a, _ in a })
        var attributes = attributes
        // RFC 3501 §6.4.8: UID FETCH responses always carry UID.
        if uid, !attributes.contains(.uid) { attributes.insert(.uid, at: 0) }
        let condStore = request.condStore
        if condStore, uid || changedSince != nil, !attributes.contains(.modSeq) { attributes.append(.modSeq) }
        let need = FetchEngine.need(attributes)

        // RFC 3501 §6.4.5: fetching body text sets \Seen, and the new flags are reported.
        var setsSeen = !current.view.readOnly && attributes.contains { $0.setsSeen }
        if setsSeen {
            let unseen = msns.map { current.view.message(msn: $0) }.filter { !$0.flags.contains(.seen) }.map(\.uid)
            if unseen.isEmpty {
                setsSeen = false
            } else {
                for record in try await mailbox.setFlags(uids: unseen, flags: .seen, operation: .add) {
                    current.view.setFlags(uid: record.uid, flags: Self.flags(of: record), modSeq: record.modSeq)
                }
                selected = current
            }
        }
        var unseenBefore = Set<UInt32>()
        if setsSeen {
            for msn in msns where !(records[current.view.message(msn: msn).uid]?.flags.contains(.seen) ?? true) {
                unseenBefore.insert(current.view.message(msn: msn).uid)
            }
        }

        var batch: [IMAPResponse] = []
        var batchBytes = 0
        var missing = false
        for msn in msns {
            let message = current.view.message(msn: msn)
            guard let record = records[message.uid] else {
                missing = true
                continue
            }
            if let changedSince, message.modSeq <= changedSince { continue }
            var loaded: LoadedMessage?
            if need != .nothing {
                do {
                    if need == .header {
                        let length = try await mailbox.headerLength(uid: message.uid)
                        loaded = LoadedMessage(bytes: try await mailbox.readMessage(uid: message.uid, range: 0..<length), headerOnly: true)
                    } else {
                        loaded = LoadedMessage(bytes: try await mailbox.readMessage(uid: message.uid), headerOnly: false)
                    }
                } catch {
                    missing = true
                    continue
                }
            }
            var items: [FetchResponseItem] = []
            var sentFlags = false
            for attribute in attributes {
                switch attribute {
                case .uid: items.append(.uid(message.uid))
                case .flags:
                    items.append(.flags(current.view.displayFlags(message)))
                    sentFlags = true
                case .internalDate: items.append(.internalDate(record.internalDate))
                case .rfc822Size: items.append(.rfc822Size(record.size))
                case .modSeq: items.append(.modSeq(message.modSeq))
                case .envelope:
                    if var m = loaded { items.append(.envelope(EnvelopeBuilder.envelope(m.header()))); loaded = m }
                case .body:
                    if var m = loaded { items.append(.body(BodyStructureBuilder.structure(m.root()))); loaded = m }
                case .bodyStructure:
                    if var m = loaded { items.append(.bodyStructure(BodyStructureBuilder.structure(m.root()))); loaded = m }
                case .rfc822:
                    if let m = loaded { items.append(.section(name: "RFC822", origin: nil, data: m.bytes)) }
                case .rfc822Header:
                    if let m = loaded {
                        items.append(.section(name: "RFC822.HEADER", origin: nil,
                            data: FetchEngine.headerBytes(m.bytes)))
                    }
                case .rfc822Text:
                    if var m = loaded {
                        items.append(.section(name: "RFC822.TEXT", origin: nil,
                            data: FetchEngine.sectionData(BodySection(kind: .text), in: &m)))
                        loaded = m
                    }
                case .bodySection(let section, _, let partial):
                    if var m = loaded {
                        let data = FetchEngine.sectionData(section, in: &m)
                        loaded = m
                        items.append(.section(
                            name: FetchEngine.sectionName(section), origin: partial?.offset,
                            data: data.map { FetchEngine.partial($0, partial) }))
                    }
                }
            }
            if unseenBefore.contains(message.uid), !sentFlags { items.append(.flags(current.view.displayFlags(message))) }
            batchBytes += loaded?.bytes.count ?? 64
            batch.append(.untagged(.fetch(msn, items)))
            if batchBytes >= Self.fetchBatchBytes {
                await sink.send(batch)
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
            }
        }
        await sink.send(batch)
        // RFC 3501 §7.4.1: no EXPUNGE while answering FETCH (UID FETCH may have them).
        let updates = try await updates(allowExpunge: uid, condStore: condStore)
        let done: IMAPResponse = missing
            ? .ok(tag, "FETCH completed; some messages were expunged") : .ok(tag, "\(uid ? "UID FETCH" : "FETCH") completed")
        return CommandOutcome(responses: updates + [done])
    }
}

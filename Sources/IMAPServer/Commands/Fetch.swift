import MailStore

extension MailStoreExecutor {
    /// Untagged responses are handed to the sink in batches of about this many bytes of message data.
    static let fetchBatchBytes = 256 * 1024
    /// Messages asked of the store per hop (headers, cached items, whole messages).
    static let fetchChunkMessages = 256

    /// Whole messages read per hop stop at about this many bytes (at least one message is read).
    static let fetchChunkBytes = 1024 * 1024

    /// Where the chunk starting at `start` ends: `fetchChunkMessages` items, and when whole messages
    /// are read, no more than `fetchChunkBytes` of them (`size` gives item i's size).
    static func chunkEnd(from start: Int, count: Int, wholeMessages: Bool, size: (Int) -> Int) -> Int {
        let limit = min(start + fetchChunkMessages, count)
        guard wholeMessages else { return limit }
        var end = start
        var bytes = 0
        while end < limit, end == start || bytes + size(end) <= fetchChunkBytes {
            bytes += size(end)
            end += 1
        }
        return end
    }

    /// The record of `uid` in `records` (UID order), by binary search.
    static func record(uid: UInt32, in records: [MessageRecord]) -> MessageRecord? {
        var low = 0
        var high = records.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if records[middle].uid == uid { return records[middle] }
            if records[middle].uid < uid { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }

    // RFC 3501 §6.4.5 FETCH, §6.4.8 UID FETCH; RFC 7162 §3.1.4 CHANGEDSINCE.
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
        let records = await mailbox.snapshot()
        var attributes = attributes
        // RFC 3501 §6.4.8: UID FETCH responses always carry UID.
        if uid, !attributes.contains(.uid) { attributes.insert(.uid, at: 0) }
        let condStore = request.condStore
        if condStore, uid || changedSince != nil, !attributes.contains(.modSeq) { attributes.append(.modSeq) }
        // Thunderbird downloads big messages as BODY.PEEK[]<offset.65536> chunks: read just that range.
        let contentAttributes = attributes.filter { FetchEngine.need([$0]) != .nothing }
        var wholeMessageRange: PartialRange?
        if contentAttributes.count == 1, case .bodySection(let section, _, let partial?) = contentAttributes[0],
            section == BodySection()
        {
            wholeMessageRange = partial
        }

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
            for msn in msns
            where !(Self.record(uid: current.view.message(msn: msn).uid, in: records)?.flags.contains(.seen) ?? true) {
                unseenBefore.insert(current.view.message(msn: msn).uid)
            }
        }

        // Derived items the store may already hold encoded; everything else decides what is read.
        let derivedItems = DerivedItem.allCases.filter { item in attributes.contains { DerivedItem($0) == item } }
        let otherNeed =
            wholeMessageRange != nil ? .nothing : FetchEngine.need(attributes.filter { DerivedItem($0) == nil })

        var batch: [IMAPResponse] = []
        var batchBytes = 0
        var missing = false
        var chunkStart = 0
        let mayReadWhole = otherNeed == .whole || derivedItems.contains { $0.need == .whole }
        while chunkStart < msns.count {
            let chunkEnd = Self.chunkEnd(from: chunkStart, count: msns.count, wholeMessages: mayReadWhole) {
                Self.record(uid: current.view.message(msn: msns[$0]).uid, in: records)?.size ?? 0
            }
            let chunk = msns[chunkStart..<chunkEnd]
            chunkStart = chunkEnd
            var entries: [(msn: Int, message: SelectedMailboxView.Message, record: MessageRecord)] = []
            entries.reserveCapacity(chunk.count)
            for msn in chunk {
                let message = current.view.message(msn: msn)
                guard let record = Self.record(uid: message.uid, in: records) else {
                    missing = true
                    continue
                }
                if let changedSince, message.modSeq <= changedSince { continue }
                entries.append((msn, message, record))
            }
            guard !entries.isEmpty else { continue }
            let uids = entries.map(\.message.uid)

            // One hop per kind for the whole chunk: cached encodings, then what must still be read.
            var cached: [[[UInt8]?]] = []
            for item in derivedItems { cached.append(await mailbox.derivedValues(uids: uids, kind: item.kind)) }
            var levels = [FetchEngine.Need](repeating: otherNeed, count: entries.count)
            for (k, item) in derivedItems.enumerated() {
                for i in entries.indices where cached[k][i] == nil { levels[i] = max(levels[i], item.need) }
            }
            var contents = [[UInt8]?](repeating: nil, count: entries.count)
            let headerIndexes = entries.indices.filter { levels[$0] == .header }
            if !headerIndexes.isEmpty {
                let read = await mailbox.headerSections(uids: headerIndexes.map { uids[$0] })
                for (i, bytes) in zip(headerIndexes, read) { contents[i] = bytes }
            }
            let wholeIndexes = entries.indices.filter { levels[$0] == .whole }
            if !wholeIndexes.isEmpty {
                let read = await mailbox.readMessages(uids: wholeIndexes.map { uids[$0] })
                for (i, bytes) in zip(wholeIndexes, read) { contents[i] = bytes }
            }
            var computed = [[(uid: UInt32, value: [UInt8])]](repeating: [], count: derivedItems.count)

            for (i, entry) in entries.enumerated() {
                let (msn, message, record) = entry
                var loaded: LoadedMessage?
                if levels[i] != .nothing {
                    guard let bytes = contents[i] else {
                        missing = true
                        continue
                    }
                    loaded = LoadedMessage(bytes: bytes, headerOnly: levels[i] == .header)
                }
                var rangeData: [UInt8]?
                if let range = wholeMessageRange {
                    let start = min(Int(range.offset), record.size)
                    let end = min(start + Int(range.length), record.size)
                    do {
                        rangeData =
                            start < end ? try await mailbox.readMessage(uid: message.uid, range: start..<end) : []
                    } catch {
                        missing = true
                        continue
                    }
                }
                var items: [FetchResponseItem] = []
                var sentFlags = false
                var itemBytes = 64
                for attribute in attributes {
                    switch attribute {
                    case .uid: items.append(.uid(message.uid))
                    case .flags:
                        items.append(.flags(current.view.displayFlags(message)))
                        sentFlags = true
                    case .internalDate: items.append(.internalDate(record.internalDate))
                    case .rfc822Size: items.append(.rfc822Size(record.size))
                    case .modSeq: items.append(.modSeq(message.modSeq))
                    case .envelope, .body, .bodyStructure:
                        guard let item = DerivedItem(attribute), let k = derivedItems.firstIndex(of: item) else {
                            continue
                        }
                        if let known = cached[k][i] {
                            items.append(.encoded(known))
                            itemBytes += known.count
                        } else if var m = loaded {
                            let encoded = item.encoded(&m)
                            loaded = m
                            computed[k].append((message.uid, encoded))
                            items.append(.encoded(encoded))
                            itemBytes += encoded.count
                        }
                    case .rfc822:
                        if let m = loaded { items.append(.section(name: "RFC822", origin: nil, data: m.bytes)) }
                    case .rfc822Header:
                        if let m = loaded {
                            items.append(
                                .section(
                                    name: "RFC822.HEADER",
                                    origin: nil,
                                    data: FetchEngine.headerBytes(m.bytes)
                                )
                            )
                        }
                    case .rfc822Text:
                        if var m = loaded {
                            items.append(
                                .section(
                                    name: "RFC822.TEXT",
                                    origin: nil,
                                    data: FetchEngine.sectionData(BodySection(kind: .text), in: &m)
                                )
                            )
                            loaded = m
                        }
                    case .bodySection(let section, _, let partial):
                        if let rangeData {
                            items.append(
                                .section(
                                    name: FetchEngine.sectionName(section),
                                    origin: partial?.offset,
                                    data: rangeData
                                )
                            )
                            itemBytes += rangeData.count
                        } else if var m = loaded {
                            let data = FetchEngine.sectionData(section, in: &m)
                            loaded = m
                            items.append(
                                .section(
                                    name: FetchEngine.sectionName(section),
                                    origin: partial?.offset,
                                    data: data.map { FetchEngine.partial($0, partial) }
                                )
                            )
                        }
                    }
                }
                if unseenBefore.contains(message.uid), !sentFlags {
                    items.append(.flags(current.view.displayFlags(message)))
                }
                batchBytes += max(itemBytes, loaded?.bytes.count ?? 0)
                batch.append(.untagged(.fetch(msn, items)))
                if batchBytes >= Self.fetchBatchBytes {
                    await sink.send(batch)
                    batch.removeAll(keepingCapacity: true)
                    batchBytes = 0
                }
            }
            for (k, item) in derivedItems.enumerated() where !computed[k].isEmpty {
                await mailbox.storeDerivedValues(computed[k], kind: item.kind)
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
}

import MailStore

/// How a FETCH reads its messages from the store: in chunks, one store hop per kind of content per
/// chunk, the next chunk read while this one is rendered.
///
/// A chunk's length is found as it is read, not cut beforehand: the derived values (BODYSTRUCTURE,
/// ENVELOPE…) are looked up for a window of messages, and the chunk ends where the messages the
/// cache could not answer, read whole, pass `wholeMessageRun`. Cut beforehand by the sizes of the
/// files, as if every message were read whole, `FETCH 1:* (BODYSTRUCTURE ENVELOPE)` on 20,000 cached
/// messages was ~345 chunks of ~58, each a task and two hops between threads: ~2,700 context
/// switches for one command. The window doubles after a chunk that took all of it, up to
/// `fetchLookupsMost`, and follows what the last chunk took otherwise.
extension MailStoreExecutor {
    /// Messages in the first chunk's window (and the most whose header sections one chunk reads).
    static let fetchChunkMessages = 256

    /// The most messages a window looks up, once chunks have taken whole windows.
    static let fetchLookupsMost = 1024

    /// Whole messages read per chunk stop at about this many bytes (at least one message is read).
    static let fetchChunkBytes = 1024 * 1024

    /// The whole messages read per chunk: `fetchChunkMessages`, no more than `fetchChunkBytes` of them.
    static let wholeMessageRun = WholeMessageRun(count: fetchChunkMessages, bytes: fetchChunkBytes)

    /// What the store returned for one chunk, the first `count` messages of the window it was given:
    /// per derived item, the cached encodings (nil where none); per message, how much was read and
    /// the bytes (nil when the message has gone).
    struct ChunkContent {
        var count: Int
        var cached: [[[UInt8]?]]
        var levels: [FetchEngine.Need]
        var contents: [[UInt8]?]
    }

    /// The window the chunk after `read` looks up: twice `lookups` when `read` took the whole window
    /// (the cache answered), else twice what it took (a few more lookups than the next chunk uses).
    static func lookups(after read: ChunkContent, _ lookups: Int) -> Int {
        let wanted = read.count >= lookups ? 2 * lookups : 2 * read.count
        return min(max(wanted, 16), fetchLookupsMost)
    }

    /// The messages of a FETCH, without those not changed since `changedSince`; `missing` when some
    /// message is gone from the store.
    static func entries(
        _ msns: [Int],
        _ records: [MailboxMessage?],
        _ view: SelectedMailboxView,
        _ changedSince: UInt64?
    ) -> (entries: [FetchEntry], missing: Bool) {
        var missing = false
        var entries: [FetchEntry] = []
        entries.reserveCapacity(msns.count)
        for (position, msn) in msns.enumerated() {
            let message = view.message(msn: msn)
            guard let record = records[position] else {
                missing = true
                continue
            }
            if let changedSince, message.modSeq <= changedSince { continue }
            entries.append(FetchEntry(msn: msn, message: message, record: record))
        }
        return (entries, missing)
    }

    /// The first chunk, when the records' hop brought its whole messages (`records`): the leading
    /// messages it read; nil when it read none of them.
    static func firstChunk(_ entries: [FetchEntry], _ firstWhole: [UInt32: [UInt8]]?) -> ChunkContent? {
        guard let firstWhole else { return nil }
        let count = entries.prefix { firstWhole[$0.message.uid] != nil }.count
        guard count > 0 else { return nil }
        return ChunkContent(
            count: count,
            cached: [],
            levels: Array(repeating: .whole, count: count),
            contents: entries.prefix(count).map { firstWhole[$0.message.uid] }
        )
    }

    /// Starts reading a chunk away from this actor, so that it goes on while the actor renders.
    static func startReading(
        _ entries: ArraySlice<FetchEntry>,
        lookups: Int,
        _ plan: FetchPlan,
        _ mailbox: any MailboxHandle
    ) -> Task<ChunkContent, any Error> {
        let window = Array(entries.prefix(lookups))
        return Task.detached { try await readChunk(window[...], lookups: lookups, plan, mailbox) }
    }

    /// Reads the chunk that starts `entries`, taking at least one message.
    ///
    /// The derived values of up to `lookups` messages, then the header sections and whole messages
    /// the chunk's messages need beyond them, with one store hop per kind.
    nonisolated(nonsending) static func readChunk(
        _ entries: ArraySlice<FetchEntry>,
        lookups: Int,
        _ plan: FetchPlan,
        _ mailbox: any MailboxHandle
    ) async throws -> ChunkContent {
        let window = entries.prefix(windowSize(plan, lookups: lookups))
        let uids = window.map(\.message.uid)
        var cached: [[[UInt8]?]] = []
        for item in plan.derivedItems { cached.append(try await mailbox.derivedValues(uids: uids, kind: item.kind)) }
        var levels = [FetchEngine.Need](repeating: plan.otherNeed, count: uids.count)
        for (k, item) in plan.derivedItems.enumerated() {
            for i in uids.indices where cached[k][i] == nil { levels[i] = max(levels[i], item.need) }
        }
        let count = chunkCount(levels) { window[window.startIndex + $0].record.size }
        cached = cached.map { Array($0.prefix(count)) }
        levels.removeLast(levels.count - count)
        var contents = [[UInt8]?](repeating: nil, count: count)
        let headerIndexes = levels.indices.filter { levels[$0] == .header }
        if !headerIndexes.isEmpty {
            let read = try await mailbox.headerSections(uids: headerIndexes.map { uids[$0] }, keep: plan.keepsHeaders)
            for (i, bytes) in zip(headerIndexes, read) { contents[i] = bytes }
        }
        let wholeIndexes = levels.indices.filter { levels[$0] == .whole }
        if !wholeIndexes.isEmpty {
            let read = try await mailbox.readMessages(uids: wholeIndexes.map { uids[$0] })
            for (i, bytes) in zip(wholeIndexes, read) { contents[i] = bytes }
        }
        return ChunkContent(count: count, cached: cached, levels: levels, contents: contents)
    }

    /// How many messages a chunk looks at: `lookups` when it looks up derived values or reads header
    /// sections; `fetchChunkMessages` when every message is read whole (`chunkCount` cuts them by
    /// size); everything at once when nothing is read.
    private static func windowSize(_ plan: FetchPlan, lookups: Int) -> Int {
        if !plan.derivedItems.isEmpty { return lookups }
        switch plan.otherNeed {
        case .nothing: return Int.max
        case .header: return lookups
        case .whole: return fetchChunkMessages
        }
    }

    /// How many of a window's messages the chunk takes: all of them, unless those read whole pass
    /// `wholeMessageRun` (message `i` being `size(i)` bytes); at least one.
    static func chunkCount(_ levels: [FetchEngine.Need], size: (Int) -> Int) -> Int {
        var (wholes, bytes) = (0, 0)
        for i in levels.indices where levels[i] == .whole {
            let next = size(i)
            if wholes > 0, wholes == wholeMessageRun.count || bytes + next > wholeMessageRun.bytes { return i }
            wholes += 1
            bytes += next
        }
        return levels.count
    }
}

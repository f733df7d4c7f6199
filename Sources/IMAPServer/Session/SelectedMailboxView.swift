/// What one session has told its client about the selected mailbox.
///
/// The message sequence numbers (MSN = position + 1, UIDs ascending), flags and mod-sequences. A pure value.
///
/// The store is shared with other sessions and programs; `update(to:…)` turns the store's current
/// state into the untagged EXISTS / EXPUNGE / FETCH responses RFC 3501 §7.4.1 and §5.2 call for, and
/// defers EXPUNGEs while the command in progress is a FETCH, STORE or SEARCH by sequence number, so
/// numbers the client holds never shift under it.
public struct SelectedMailboxView: Sendable, Equatable {
    /// One message as the client knows it.
    public struct Message: Sendable, Equatable {
        /// The message's UID.
        public var uid: UInt32
        /// Its flags, as last reported to the client.
        public var flags: [Flag]
        /// Its mod-sequence (RFC 7162).
        public var modSeq: UInt64
        /// A message with these values.
        public init(uid: UInt32, flags: [Flag], modSeq: UInt64 = 0) {
            self.uid = uid
            self.flags = flags
            self.modSeq = modSeq
        }
    }

    /// The messages, in sequence-number order (MSN = index + 1).
    public private(set) var messages: [Message]
    /// The UIDs that are `\Recent` for this session (RFC 3501 §2.3.2).
    public private(set) var recent: Set<UInt32>
    /// Whether the mailbox was opened read-only (EXAMINE).
    public var readOnly: Bool

    /// A view of `messages`, as reported at SELECT.
    public init(messages: [Message], recent: Set<UInt32> = [], readOnly: Bool = false) {
        self.messages = messages
        self.recent = recent
        self.readOnly = readOnly
    }

    /// The number of messages (the last EXISTS sent).
    public var count: Int { messages.count }
    /// The highest UID, or 0 in an empty mailbox.
    public var lastUID: UInt32 { messages.last?.uid ?? 0 }

    /// The MSN of a UID, if the client knows the message.
    public func msn(ofUID uid: UInt32) -> Int? {
        var low = 0
        var high = messages.count - 1
        while low <= high {
            let mid = (low + high) / 2
            if messages[mid].uid == uid { return mid + 1 }
            if messages[mid].uid < uid { low = mid + 1 } else { high = mid - 1 }
        }
        return nil
    }

    /// Why a sequence set names no message.
    public enum SetError: Error, Equatable {
        case invalidSequenceNumber
    }

    /// The MSNs a set names, ascending and unique.
    ///
    /// By UID, numbers that do not exist are ignored (RFC 3501 §6.4.8); by sequence number, a number beyond the mailbox
    /// is an error, except that `*` in an empty mailbox simply names nothing.
    public func resolve(_ set: SequenceSet, byUID: Bool) throws -> [Int] {
        guard !messages.isEmpty else {
            if !byUID, set.ranges.contains(where: { $0.first != .last && $0.second != .last }) {
                throw SetError.invalidSequenceNumber
            }
            return []
        }
        if byUID {
            var result: [Int] = []
            for range in set.closedRanges(last: lastUID) {
                guard let start = firstIndex(uidAtLeast: range.lowerBound) else { continue }
                var index = start
                while index < messages.count, messages[index].uid <= range.upperBound {
                    result.append(index + 1)
                    index += 1
                }
            }
            return Self.sortedUnique(result)
        }
        var result: [Int] = []
        for range in set.closedRanges(last: UInt32(messages.count)) {
            guard range.upperBound <= messages.count else { throw SetError.invalidSequenceNumber }
            result.append(contentsOf: Int(range.lowerBound)...Int(range.upperBound))
        }
        return Self.sortedUnique(result)
    }

    private static func sortedUnique(_ values: [Int]) -> [Int] {
        var sorted = values.sorted()
        var write = 0
        for value in sorted where write == 0 || sorted[write - 1] != value {
            sorted[write] = value
            write += 1
        }
        return Array(sorted.prefix(write))
    }

    private func firstIndex(uidAtLeast uid: UInt32) -> Int? {
        var low = 0
        var high = messages.count
        while low < high {
            let mid = (low + high) / 2
            if messages[mid].uid < uid { low = mid + 1 } else { high = mid }
        }
        return low < messages.count ? low : nil
    }

    /// The message with sequence number `msn` (1-based, and within `count`).
    public func message(msn: Int) -> Message { messages[msn - 1] }

    /// Records flags the session itself just stored (so the store's echo is not reported again).
    public mutating func setFlags(uid: UInt32, flags: [Flag], modSeq: UInt64) {
        guard let msn = msn(ofUID: uid) else { return }
        messages[msn - 1].flags = flags
        messages[msn - 1].modSeq = modSeq
    }

    /// The flags as FETCH FLAGS shows them: stored flags plus `\Recent` for this session's recent messages.
    public func displayFlags(_ message: Message) -> [Flag] {
        recent.contains(message.uid) ? message.flags + [.recent] : message.flags
    }

    /// Brings the view up to date with the store and returns the untagged responses that tell the client.
    /// - Parameters:
    ///   - current: the store's messages in UID order.
    ///   - newlyRecent: UIDs this session claimed as `\Recent`.
    ///   - allowExpunge: false while answering FETCH, STORE or SEARCH by sequence number.
    ///   - includeModSeq: add MODSEQ to flag updates (CONDSTORE enabled, RFC 7162 §3.2).
    public mutating func update(
        to current: [Message],
        newlyRecent: Set<UInt32> = [],
        allowExpunge: Bool,
        includeModSeq: Bool
    ) -> [IMAPResponse] {
        var responses: [IMAPResponse] = []
        var byUID: [UInt32: Message] = [:]
        byUID.reserveCapacity(current.count)
        for message in current { byUID[message.uid] = message }

        if allowExpunge {
            for index in messages.indices.reversed() where byUID[messages[index].uid] == nil {
                recent.remove(messages[index].uid)
                messages.remove(at: index)
                responses.append(.untagged(.expunge(index + 1)))
            }
        }
        for index in messages.indices {
            guard let now = byUID[messages[index].uid],
                now.flags != messages[index].flags || now.modSeq != messages[index].modSeq
            else { continue }
            let flagsChanged = now.flags != messages[index].flags
            messages[index] = now
            guard flagsChanged || includeModSeq else { continue }
            var items: [FetchResponseItem] = [.uid(now.uid), .flags(displayFlags(now))]
            if includeModSeq { items.append(.modSeq(now.modSeq)) }
            responses.append(.untagged(.fetch(index + 1, items)))
        }
        let last = lastUID
        let appended = current.filter { $0.uid > last }
        recent.formUnion(newlyRecent)
        if !appended.isEmpty {
            messages.append(contentsOf: appended)
            responses.append(.untagged(.exists(messages.count)))
            responses.append(.untagged(.recent(recent.count)))
        } else if !newlyRecent.isEmpty {
            responses.append(.untagged(.recent(recent.count)))
        }
        // Now equal to `current` (in full unless an expunge was held back): keep `current` itself, so that
        // the sessions brought up to the same state share one array.
        if messages == current { messages = current }
        return responses
    }
}

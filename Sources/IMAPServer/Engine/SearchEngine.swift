import Foundation
import MailCore

/// Evaluates SEARCH keys (RFC 3501 §6.4.4) against one message.
///
/// Text keys compare case-insensitively with RFC 2047 words and transfer encodings decoded; the message is read only
/// when a key needs it.
struct SearchEngine {
    struct Candidate {
        var msn: Int
        var uid: UInt32
        var flags: [Flag]
        var isRecent: Bool
        var size: Int
        var internalDate: Date
        var modSeq: UInt64
    }

    let lastMSN: UInt32
    let lastUID: UInt32
    /// The text keys' needles, prepared once per search rather than once per message.
    private var needles: [String: Needle] = [:]

    /// A text key's value, lowercased, and as bytes when a byte search can stand for the text search.
    struct Needle {
        var lowercased: String
        var plain: [UInt8]?

        init(_ value: String) {
            lowercased = value.lowercased()
            plain = SearchEngine.plainNeedle(value)
        }
    }

    init(lastMSN: UInt32, lastUID: UInt32, key: SearchKey? = nil) {
        self.lastMSN = lastMSN
        self.lastUID = lastUID
        if let key { Self.collectNeedles(key, into: &needles) }
    }

    private static func collectNeedles(_ key: SearchKey, into needles: inout [String: Needle]) {
        switch key {
        case .and(let keys): for key in keys { collectNeedles(key, into: &needles) }
        case .or(let a, let b):
            collectNeedles(a, into: &needles)
            collectNeedles(b, into: &needles)
        case .not(let key): collectNeedles(key, into: &needles)
        case .header(_, let v), .bcc(let v), .cc(let v), .from(let v), .to(let v), .subject(let v):
            needles[v] = Needle(v)
        default: break
        }
    }

    static func need(_ key: SearchKey) -> FetchEngine.Need {
        switch key {
        case .and(let keys): keys.map(need).max() ?? .nothing
        case .or(let a, let b): max(need(a), need(b))
        case .not(let k): need(k)
        case .header, .bcc, .cc, .from, .subject, .to, .sentBefore, .sentOn, .sentSince: .header
        case .body, .text: .whole
        default: .nothing
        }
    }

    /// The header fields a key that needs only the header reads (each name once, in the engine's
    /// spelling): a store can hand out just those fields' lines (`MailboxHandle.headerFields`), and every
    /// answer is the same as on the whole header.
    static func headerFieldNames(_ key: SearchKey) -> [String] {
        var names: [String] = []
        func add(_ key: SearchKey) {
            let name: String
            switch key {
            case .and(let keys): return keys.forEach(add)
            case .or(let a, let b):
                add(a)
                return add(b)
            case .not(let k): return add(k)
            case .header(let field, _): name = field
            case .bcc: name = "Bcc"
            case .cc: name = "Cc"
            case .from: name = "From"
            case .to: name = "To"
            case .subject: name = "Subject"
            case .sentBefore, .sentOn, .sentSince: name = "Date"
            default: return
            }
            if !names.contains(where: { $0.lowercased() == name.lowercased() }) { names.append(name) }
        }
        add(key)
        return names
    }

    func matches(_ key: SearchKey, _ candidate: Candidate, _ message: inout LoadedMessage?) -> Bool {
        switch key {
        case .all: return true
        case .and(let keys): return keys.allSatisfy { matches($0, candidate, &message) }
        case .or(let a, let b): return matches(a, candidate, &message) || matches(b, candidate, &message)
        case .not(let k): return !matches(k, candidate, &message)
        case .sequenceSet(let set): return set.contains(UInt32(candidate.msn), last: lastMSN)
        case .uid(let set): return set.contains(candidate.uid, last: lastUID)
        case .flag(let flag, let set):
            let has =
                flag == .recent
                ? candidate.isRecent
                : candidate.flags.contains { $0.rawValue.lowercased() == flag.rawValue.lowercased() }
            return has == set
        case .new: return candidate.isRecent && !candidate.flags.contains(.seen)
        case .old: return !candidate.isRecent
        case .recent: return candidate.isRecent
        case .larger(let n): return UInt64(candidate.size) > n
        case .smaller(let n): return UInt64(candidate.size) < n
        case .modSeq(let n): return candidate.modSeq >= n
        case .before(let day): return Self.day(of: candidate.internalDate) < day
        case .on(let day): return Self.day(of: candidate.internalDate) == day
        case .since(let day): return Self.day(of: candidate.internalDate) >= day
        case .sentBefore(let day), .sentOn(let day), .sentSince(let day):
            guard let m = message else { return false }
            // A missing or unparsable Date: counts as 1 January 1970, as Dovecot does (it reads the
            // sent date as 0, the epoch), so SENTBEFORE finds such messages and SENTSINCE does not
            // and clients see the same result from either server. RFC 3501 6.4.4 leaves it open.
            let sent = m.fields(named: "Date").first.flatMap { Self.parseDay($0.value) } ?? Self.missingSentDay
            switch key {
            case .sentBefore: return sent < day
            case .sentOn: return sent == day
            default: return sent >= day
            }
        case .header(let field, let value): return headerContains(field, value, &message)
        case .bcc(let v): return headerContains("Bcc", v, &message)
        case .cc(let v): return headerContains("Cc", v, &message)
        case .from(let v): return headerContains("From", v, &message)
        case .to(let v): return headerContains("To", v, &message)
        case .subject(let v): return headerContains("Subject", v, &message)
        case .body(let v): return bodyContains(v, &message)
        case .text(let v):
            guard var m = message else { return false }
            let needle = v.lowercased()
            let headerText = m.header().fields.map { $0.name + ": " + $0.decodedValue }.joined(separator: "\n")
            message = m
            return needle.isEmpty || headerText.lowercased().contains(needle) || bodyContains(v, &message)
        }
    }

    private func headerContains(_ name: String, _ value: String, _ message: inout LoadedMessage?) -> Bool {
        guard let m = message else { return false }
        let fields = m.fields(named: name)
        // RFC 3501: HEADER with an empty string matches every message that has the field.
        if value.isEmpty { return !fields.isEmpty }
        let needle = needles[value] ?? Needle(value)
        return fields.contains { field in
            guard let plain = needle.plain else { return field.decodedValue.lowercased().contains(needle.lowercased) }
            if let answer = Self.plainMatch(plain, in: field.unfoldedValue) { return answer }
            // Decoded text (encoded words, 8-bit): the bytes rule most values out, and only a byte match
            // pays for Foundation's search, which SEARCH SUBJECT spent most of its time in when one
            // subject in twelve had encoded words. (A character that is an ASCII one only by canonical
            // equivalence, U+037E for ";" or U+1FEF for "`", is no longer found by its ASCII twin.)
            let decoded = field.decodedValue
            guard ByteSearch.search(plain, in: decoded.utf8) == .found || Self.lowercasesIntoASCII(decoded) else {
                return false
            }
            let lowered = decoded.lowercased()
            return ByteSearch.search(plain, in: lowered.utf8) == .found && lowered.contains(needle.lowercased)
        }
    }

    /// Whether lowercasing `text` can make ASCII of something that is not ASCII: only KELVIN SIGN
    /// (to "k") and LATIN CAPITAL LETTER I WITH DOT ABOVE (to "i" and a combining dot) do in Unicode's
    /// tables.
    ///
    /// Without either, the lowercased text holds an ASCII needle's bytes only if the text itself does,
    /// ASCII case aside; so a byte search of the decoded text rules most values out before paying for
    /// `lowercased()`, which was a tenth of a warm SEARCH SUBJECT over encoded words.
    static func lowercasesIntoASCII(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0 == "\u{212A}" || $0 == "\u{130}" }
    }

    /// The needle's lowercased bytes when a byte search can stand for the text search: ASCII without
    /// line breaks (which unfolding removes from the value).
    static func plainNeedle(_ value: String) -> [UInt8]? {
        guard let needle = ByteSearch.asciiNeedle(value), !needle.isEmpty,
            !needle.contains(where: { $0 == 0x0D || $0 == 0x0A })
        else { return nil }
        return needle
    }

    private static let encodedWordStart = Array("=?".utf8)

    /// Whether an unfolded value holds the needle, when its bytes decide it; nil when it must be decoded.
    ///
    /// An ASCII value without RFC 2047 encoded words decodes to itself, so the byte search is the
    /// text search.
    static func plainMatch(_ needle: [UInt8], in unfolded: [UInt8]) -> Bool? {
        guard unfolded.allSatisfy({ $0 < 0x80 }),
            ByteSearch.search(encodedWordStart, in: unfolded) == .absent
        else { return nil }
        return ByteSearch.search(needle, in: unfolded) == .found
    }

    private func bodyContains(_ value: String, _ message: inout LoadedMessage?) -> Bool {
        guard var m = message, !m.headerOnly else { return false }
        let needle = value.lowercased()
        if needle.isEmpty { return true }
        let root = m.root()
        message = m
        let bytes = m.bytes
        var parts = [root] + root.descendants
        parts = parts.filter { !$0.isMultipart && $0.encapsulatedMessage == nil }
        let asciiNeedle = ByteSearch.asciiNeedle(value)
        for part in parts where part.contentType.isText || part.contentType.type == "message" {
            if let asciiNeedle, ByteSearch.isASCIICompatible(charset: part.contentType.charset) {
                let decoded = part.decodedBody(in: bytes)
                switch ByteSearch.search(asciiNeedle, in: decoded) {
                case .found: return true
                case .absent: continue
                case .unknown: break
                }
            }
            if part.text(in: bytes).lowercased().contains(needle) { return true }
        }
        return false
    }

    /// The sent date of a message without a usable Date field (see SENT* above).
    static let missingSentDay = SearchDate(year: 1970, month: 1, day: 1)

    /// The UTC calendar day of an internal date (RFC 3501: time and zone disregarded).
    static func day(of date: Date) -> SearchDate {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let civil = civilFromDays(days)
        return SearchDate(year: civil.year, month: civil.month, day: civil.day)
    }

    /// The calendar day an RFC 5322 Date header names, as written (its own zone).
    static func parseDay(_ value: String) -> SearchDate? {
        let words = value.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
        var day: Int?
        var month: Int?
        var year: Int?
        for word in words {
            if let n = Int(word) {
                if day == nil, month == nil, n >= 1, n <= 31 {
                    day = n
                } else if month != nil, year == nil {
                    year = n < 50 ? 2000 + n : (n < 1000 ? 1900 + n : n)
                    break
                }
            } else if month == nil, let index = IMAPParser.monthNames.firstIndex(of: word.prefix(3).uppercased()) {
                month = index + 1
            }
        }
        guard let day, let month, let year else { return nil }
        return SearchDate(year: year, month: month, day: day)
    }
}

import Foundation

/// RFC 5322 3.3 and 4.3 date-time parsing over bytes, tolerant of the forms real mail carries.
enum DateTimeParser {
    /// RFC 5322 4.3 obs-zone names and their offsets in hours.
    static let zoneNames: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6,
        "pst": -8, "pdt": -7,
    ]

    static func parse(_ bytes: [UInt8]) -> MessageDate? {
        var words: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        let slice = bytes[...]
        func endWord() {
            if !current.isEmpty { words.append(current) }
            current = []
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.openParen {
                endWord()
                index = HeaderLexer.skipComment(slice, from: index)
                continue
            }
            if ASCII.isWhitespaceOrNewline(byte) || byte == ASCII.comma {
                endWord()
            } else if byte == 0x2B || byte == ASCII.hyphen, !current.isEmpty, !current.contains(ASCII.colon) {
                // "3-Nov-2026" style separators; a sign after a time starts the zone.
                endWord()
            } else if byte == 0x2B || byte == ASCII.hyphen, !current.isEmpty {
                endWord()
                current.append(byte)
            } else {
                current.append(byte)
            }
            index += 1
        }
        endWord()
        return interpret(words)
    }

    private static func interpret(_ words: [[UInt8]]) -> MessageDate? {
        var numbers: [(value: Int, digits: Int)] = []
        var month: Int?
        var time: [Int]?
        var offset: Int?
        for word in words {
            if word.contains(ASCII.colon) {
                guard time == nil else { continue }
                let pieces = word.split(separator: ASCII.colon, omittingEmptySubsequences: false)
                let values = pieces.map { number($0) }
                guard values.count >= 2, values.count <= 3, values.allSatisfy({ $0 != nil }) else { return nil }
                time = values.compactMap { $0 }
            } else if let first = word.first, first == 0x2B || first == ASCII.hyphen, word.count >= 3 {
                guard time != nil, offset == nil, let value = number(word.dropFirst()) else { continue }
                let digits = word.count - 1
                let hours = digits <= 2 ? value : value / 100
                let minutes = digits <= 2 ? 0 : value % 100
                guard hours <= 23, minutes <= 59 else { continue }
                offset = (first == ASCII.hyphen ? -1 : 1) * (hours * 3600 + minutes * 60)
            } else if let value = number(word[...]) {
                numbers.append((value, word.count))
            } else if word.allSatisfy(ASCII.isAlpha) {
                let lower = String(decoding: word.map(ASCII.lowercased), as: UTF8.self)
                if month == nil, lower.count >= 3,
                    let found = CivilCalendar.monthNames.firstIndex(where: { lower.hasPrefix($0.lowercased()) })
                {
                    month = found + 1
                } else if time != nil, offset == nil {
                    // RFC 5322 4.3: military zones are unreliable and read as -0000, like unknown names.
                    offset = (zoneNames[lower] ?? 0) * 3600
                }
            }
        }
        guard let month, let time, numbers.count >= 2 else { return nil }
        var (day, year) = (numbers[0], numbers[1])
        if day.value > 31 || day.digits > 2, year.value <= 31 { swap(&day, &year) }
        var fullYear = year.value
        // RFC 5322 4.3: two-digit years 00-49 are 2000-2049, 50-99 and three-digit years add 1900.
        if year.digits <= 2 { fullYear += year.value < 50 ? 2000 : 1900 } else if year.digits == 3 { fullYear += 1900 }
        let hour = time[0]
        let minute = time[1]
        let second = time.count > 2 ? time[2] : 0
        guard (1...CivilCalendar.daysInMonth(year: fullYear, month: month)).contains(day.value),
            fullYear >= 1000, fullYear <= 9999, hour <= 23, minute <= 59, second <= 60
        else { return nil }
        let zone = offset ?? 0
        let days = CivilCalendar.days(year: fullYear, month: month, day: day.value)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - zone
        return MessageDate(date: Date(timeIntervalSince1970: TimeInterval(seconds)), utcOffset: zone)
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy(ASCII.isDigit) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}

extension MessageHeader {
    /// The Date field parsed (RFC 5322 3.6.1), or nil when missing or unreadable.
    public var date: MessageDate? {
        field(named: "Date").flatMap { MessageDate.parse($0.unfoldedValue) }
    }
}

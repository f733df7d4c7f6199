import struct Foundation.Date

extension IMAPParser {
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    // date = date-text / DQUOTE date-text DQUOTE
    // date-text = date-day "-" date-month "-" date-year
    mutating func searchDate() throws -> SearchDate {
        let quotedForm = consume(UInt8(ascii: "\""))
        let day = Int(try number())
        try expect(UInt8(ascii: "-"), "'-' in date")
        let month = try monthName()
        try expect(UInt8(ascii: "-"), "'-' in date")
        let year = Int(try number())
        if quotedForm { try expect(UInt8(ascii: "\""), "closing quote of date") }
        guard (1...31).contains(day), (1...9999).contains(year) else { throw IMAPParseError("Invalid date") }
        return SearchDate(year: year, month: month, day: day)
    }

    // date-month = "Jan" / "Feb" / ... / "Dec"
    mutating func monthName() throws -> Int {
        for (i, name) in Self.monthNames.enumerated() where consumeKeyword(name) { return i + 1 }
        throw IMAPParseError("Invalid month name")
    }

    // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE
    // date-day-fixed = (SP DIGIT) / 2DIGIT ; time = 2DIGIT ":" 2DIGIT ":" 2DIGIT ; zone = ("+" / "-") 4DIGIT
    mutating func dateTime() throws -> Date {
        try expect(UInt8(ascii: "\""), "a quoted date-time")
        _ = consume(.space)
        let day = Int(try number())
        try expect(UInt8(ascii: "-"), "'-' in date-time")
        let month = try monthName()
        try expect(UInt8(ascii: "-"), "'-' in date-time")
        let year = Int(try number())
        try space()
        let hour = Int(try fixedDigits(2))
        try expect(UInt8(ascii: ":"), "':' in time")
        let minute = Int(try fixedDigits(2))
        try expect(UInt8(ascii: ":"), "':' in time")
        let second = Int(try fixedDigits(2))
        try space()
        let sign: Int
        if consume(UInt8(ascii: "+")) {
            sign = 1
        } else if consume(UInt8(ascii: "-")) {
            sign = -1
        } else {
            throw IMAPParseError("Invalid time zone")
        }
        let zone = Int(try fixedDigits(4))
        try expect(UInt8(ascii: "\""), "closing quote of date-time")
        guard (1...31).contains(day), (1970...9999).contains(year), hour < 24, minute < 60, second < 61,
            zone % 100 < 60
        else { throw IMAPParseError("Invalid date-time") }
        let offset = sign * ((zone / 100) * 3600 + (zone % 100) * 60)
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds))
    }

    mutating func fixedDigits(_ count: Int) throws -> UInt32 {
        guard index + count <= bytes.count, bytes[index..<index + count].allSatisfy(\.isASCIIDigit) else {
            throw IMAPParseError("Expected \(count) digits")
        }
        let value = bytes[index..<index + count].reduce(UInt32(0)) { $0 * 10 + UInt32($1 - 0x30) }
        index += count
        return value
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146097 + doe - 719468
}

/// The civil date of a day count since 1970-01-01.
func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719468
    let era = (z >= 0 ? z : z - 146096) / 146097
    let doe = z - era * 146097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
}

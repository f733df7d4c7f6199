import Foundation

/// An RFC 5322 3.3 date-time: an instant and the zone offset it was written in.
public struct MessageDate: Sendable, Hashable, CustomStringConvertible {
    /// The instant.
    public var date: Date
    /// The writer's offset from UTC in seconds (`+0100` is 3600).
    ///
    /// `-0000` and unknown zones read as 0.
    public var utcOffset: Int

    /// Makes a date-time from an instant and an offset in seconds.
    public init(date: Date, utcOffset: Int = 0) {
        self.date = date
        self.utcOffset = utcOffset
    }

    /// Parses an RFC 5322 date-time, accepting the obsolete forms of 4.3: two- and three-digit years,
    /// named zones (UT, GMT, EST…; military letters read as -0000), missing seconds, missing
    /// weekday, comments, extra whitespace, and the asctime order `Tue Nov  3 10:00:00 2026`.
    public static func parse(_ text: String) -> MessageDate? {
        DateTimeParser.parse(Array(text.utf8))
    }

    /// Parses a date-time from header bytes.
    public static func parse(_ bytes: some Collection<UInt8>) -> MessageDate? {
        DateTimeParser.parse(Array(bytes))
    }

    /// RFC 5322 3.3 form such as `Tue, 3 Nov 2026 10:00:00 +0000`.
    public var formatted: String {
        let local = localComponents
        let days = CivilCalendar.days(year: local.year, month: local.month, day: local.day)
        let weekday = CivilCalendar.weekdayNames[((days % 7) + 10) % 7]  // 1970-01-01 was a Thursday
        let offsetMinutes = abs(utcOffset) / 60
        // Built as octets: every received message gets one (its Received: field), and interpolating
        // the numbers and padding cost more than twice as much (callgrind).
        var text: [UInt8] = []
        text.reserveCapacity(32)
        text.append(contentsOf: weekday.utf8)
        text.append(contentsOf: ", ".utf8)
        text.appendDecimal(local.day)
        text.append(UInt8(ascii: " "))
        text.append(contentsOf: CivilCalendar.monthNames[local.month - 1].utf8)
        text.append(UInt8(ascii: " "))
        text.appendDecimal(local.year)
        text.append(UInt8(ascii: " "))
        text.appendDecimal(local.hour, width: 2)
        text.append(UInt8(ascii: ":"))
        text.appendDecimal(local.minute, width: 2)
        text.append(UInt8(ascii: ":"))
        text.appendDecimal(local.second, width: 2)
        text.append(contentsOf: utcOffset < 0 ? " -".utf8 : " +".utf8)
        text.appendDecimal(offsetMinutes / 60, width: 2)
        text.appendDecimal(offsetMinutes % 60, width: 2)
        return String(decoding: text, as: UTF8.self)
    }

    /// The calendar date and time as the writer saw it, in the writer's own zone.
    ///
    /// This is what IMAP SENTON / SENTBEFORE / SENTSINCE compare (RFC 3501 6.4.4).
    public var localComponents: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down)) + utcOffset
        let days = Int((Double(seconds) / 86_400).rounded(.down))
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.civil(fromDays: days)
        return (year, month, day, secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60)
    }

    /// The RFC 5322 form, as `formatted`.
    public var description: String { formatted }

    /// Formats `date` in RFC 5322 form with the given offset (UTC by default).
    public static func format(_ date: Date, utcOffset: Int = 0) -> String {
        MessageDate(date: date, utcOffset: utcOffset).formatted
    }
}

/// Proleptic Gregorian conversions between day counts and dates, without Calendar.
enum CivilCalendar {
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// Days since 1970-01-01 for a date, by Howard Hinnant's days_from_civil.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date for a count of days since 1970-01-01.
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

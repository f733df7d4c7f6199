import Foundation

/// RFC 3977 §7.3.2: `date time [GMT]` of NEWGROUPS and NEWNEWS — `yymmdd` or `yyyymmdd`, `hhmmss`.
///
/// Without GMT the time is the server's local time; correo keeps its clock in UTC, so both mean UTC.
enum NNTPDateTime {
    static func parse(_ arguments: some Collection<Substring>, now: Date) throws -> Date {
        let words = Array(arguments)
        guard words.count == 2 || (words.count == 3 && words[2].uppercased() == "GMT") else {
            throw NNTPSyntaxError("expected date time [GMT]")
        }
        let date = words[0]
        let time = words[1]
        guard [6, 8].contains(date.utf8.count), time.utf8.count == 6,
            (date + time).utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { throw NNTPSyntaxError("date is yymmdd or yyyymmdd, time hhmmss") }
        let digits = Array((date + time).utf8).map { Int($0) - 0x30 }
        func value(_ from: Int, _ count: Int) -> Int { digits[from..<from + count].reduce(0) { $0 * 10 + $1 } }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        var year: Int
        var offset: Int
        if date.utf8.count == 8 {
            year = value(0, 4)
            offset = 4
        } else {
            // §7.3.2: the current century if yy is at most this year's, else the previous one.
            let current = calendar.component(.year, from: now)
            let yy = value(0, 2)
            year = (current / 100) * 100 + yy
            if yy > current % 100 { year -= 100 }
            offset = 2
        }
        let month = value(offset, 2)
        let day = value(offset + 2, 2)
        let hour = value(date.utf8.count, 2)
        let minute = value(date.utf8.count + 2, 2)
        let second = value(date.utf8.count + 4, 2)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61,
            let result = calendar.date(
                from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            ),
            calendar.component(.day, from: result) == day
        else { throw NNTPSyntaxError("no such date or time") }
        return result
    }

    /// §7.1 DATE: `yyyymmddhhmmss` in UTC.
    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int = 2) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(c.year, 4) + pad(c.month) + pad(c.day) + pad(c.hour) + pad(c.minute) + pad(c.second)
    }
}

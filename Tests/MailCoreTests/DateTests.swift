import Foundation
import MailTestSupport
import Testing

@testable import MailCore

private func epoch(_ text: String) -> Int? {
    MessageDate.parse(text).map { Int($0.date.timeIntervalSince1970) }
}

@Test func parsesTheRFC5322Form() {
    // 2026-11-03T10:00:00Z is 1_793_700_000.
    #expect(epoch("Tue, 3 Nov 2026 10:00:00 +0000") == 1_793_700_000)
    #expect(epoch("Tue, 03 Nov 2026 11:30:00 +0130") == 1_793_700_000)
    #expect(MessageDate.parse("Tue, 3 Nov 2026 05:00:00 -0500")?.utcOffset == -18_000)
}

@Test func parsesObsoleteForms() {
    #expect(epoch("3 Nov 26 10:00 GMT") == 1_793_700_000)
    #expect(epoch("Tue,  3 Nov 2026 05:00:00 EST") == 1_793_700_000)
    #expect(epoch("Tue, 3 Nov 2026 03:00:00 PDT (Pacific)") == 1_793_700_000)
    #expect(epoch("(comment) Tue , 3 (x) Nov 2026 10:00:00 (UTC) +0000") == 1_793_700_000)
    #expect(epoch("3 Nov 126 10:00:00 +0000") == 1_793_700_000)
    #expect(epoch("Tue Nov  3 10:00:00 2026") == 1_793_700_000)
    #expect(epoch("Tue, 3 Nov 2026 10:00:00 Z") == 1_793_700_000)
    #expect(epoch("Tue, 3-Nov-2026 10:00:00 +0000") == 1_793_700_000)
    #expect(epoch("3 Nov 99 10:00 EST") == 941_641_200)
    #expect(MessageHeader.parse(MessageCorpus.plainASCII).header.date?.formatted == "Tue, 3 Nov 2026 10:00:00 +0000")
}

@Test func rejectsImpossibleDates() {
    #expect(MessageDate.parse("31 Feb 2026 10:00:00 +0000") == nil)
    #expect(MessageDate.parse("3 Nov 2026 24:00:00 +0000") == nil)
    #expect(MessageDate.parse("not a date") == nil)
    #expect(MessageDate.parse("") == nil)
    #expect(MessageDate.parse("29 Feb 2024 00:00:00 +0000") != nil)
}

@Test func formatsInRFC5322Form() {
    let date = Date(timeIntervalSince1970: 1_793_700_000)
    #expect(MessageDate.format(date) == "Tue, 3 Nov 2026 10:00:00 +0000")
    #expect(MessageDate.format(date, utcOffset: -18_000) == "Tue, 3 Nov 2026 05:00:00 -0500")
    #expect(MessageDate.format(Date(timeIntervalSince1970: 0)) == "Thu, 1 Jan 1970 00:00:00 +0000")
    #expect(MessageDate.format(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 +0000")
}

@Test func formatAndParseRoundTrip() {
    var generator = SeededGenerator(seed: 4)
    for _ in 0..<500 {
        let seconds = Int.random(in: -2_000_000_000...4_000_000_000, using: &generator)
        let offset = Int.random(in: -48...56, using: &generator) * 900
        let date = MessageDate(date: Date(timeIntervalSince1970: TimeInterval(seconds)), utcOffset: offset)
        #expect(MessageDate.parse(date.formatted) == date)
    }
}

@Test func localComponentsAreInTheWritersZone() throws {
    let late = try #require(MessageDate.parse("Tue, 3 Nov 2026 23:30:00 -0500"))
    #expect(late.localComponents.day == 3 && late.localComponents.hour == 23 && late.localComponents.minute == 30)
    #expect(MessageDate(date: late.date).localComponents.day == 4)
}

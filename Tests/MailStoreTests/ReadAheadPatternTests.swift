import Testing

@testable import MailStore

/// `ReadAheadPattern` hints the messages a client reading bodies one at a time will ask for next, and
/// nothing when its reads follow no stride.
@Suite struct ReadAheadPatternTests {
    private let window = ReadAheadPattern.window

    @Test func aStrideCountsAtItsThirdReadAndTheWindowAheadIsHinted() {
        var pattern = ReadAheadPattern()
        #expect(pattern.read(position: 0, count: 1_000) == [])
        #expect(pattern.read(position: 1, count: 1_000) == [])
        #expect(pattern.read(position: 2, count: 1_000) == Array(3...(2 + window)))
    }

    @Test func theWindowIsToppedUpOnceHalfOfItIsRead() {
        var pattern = ReadAheadPattern()
        for position in 0...2 { _ = pattern.read(position: position, count: 1_000) }
        let hintedTo = 2 + window
        var later: [Int] = []
        for position in 3..<(hintedTo - window / 2) { later += pattern.read(position: position, count: 1_000) }
        #expect(later == [], "no hint while more than half the window is ahead")
        let topUp = hintedTo - window / 2
        #expect(pattern.read(position: topUp, count: 1_000) == Array((hintedTo + 1)...(topUp + window)))
    }

    @Test func aClientReadingNewestFirstIsFollowedDownwards() {
        var pattern = ReadAheadPattern()
        _ = pattern.read(position: 500, count: 501)
        _ = pattern.read(position: 499, count: 501)
        #expect(pattern.read(position: 498, count: 501) == Array(stride(from: 497, through: 498 - window, by: -1)))
    }

    @Test func everyNthMessageIsFollowedAndTheHintsStopAtTheEnds() {
        var pattern = ReadAheadPattern()
        _ = pattern.read(position: 100, count: 300)
        _ = pattern.read(position: 140, count: 300)
        #expect(pattern.read(position: 180, count: 300) == [220, 260])
        var down = ReadAheadPattern()
        _ = down.read(position: 90, count: 300)
        _ = down.read(position: 60, count: 300)
        #expect(down.read(position: 30, count: 300) == [0])
    }

    @Test func bigMessagesAreHintedFewerAtATime() {
        var pattern = ReadAheadPattern()
        let big = ReadAheadPattern.windowBytes / 3
        for position in 0...1 { _ = pattern.read(position: position, count: 1_000) { _ in big } }
        #expect(pattern.read(position: 2, count: 1_000) { _ in big } == [3, 4, 5])
        #expect(pattern.read(position: 3, count: 1_000) { _ in big } == [6], "no more than the window's bytes ahead")
        var huge = ReadAheadPattern()
        for position in 0...1 {
            _ = huge.read(position: position, count: 1_000) { _ in 2 * ReadAheadPattern.windowBytes }
        }
        #expect(huge.read(position: 2, count: 1_000) { _ in 2 * ReadAheadPattern.windowBytes } == [])
    }

    @Test func readsWithoutAStrideHintNothing() {
        var pattern = ReadAheadPattern()
        var hinted: [Int] = []
        for position in [0, 5, 7, 20, 21, 23, 26, 30, 29] { hinted += pattern.read(position: position, count: 100) }
        #expect(hinted == [])
    }

    @Test func aNewStrideStartsAfreshAndRereadingAMessageKeepsThePattern() {
        var pattern = ReadAheadPattern()
        for position in 0...2 { _ = pattern.read(position: position, count: 1_000) }
        #expect(pattern.read(position: 2, count: 1_000) == [], "the same message again (another part of it)")
        #expect(pattern.read(position: 3, count: 1_000) == [], "the stride holds and the window is full")
        #expect(pattern.read(position: 50, count: 1_000) == [])
        #expect(pattern.read(position: 90, count: 1_000) == [])
        #expect(
            pattern.read(position: 130, count: 1_000) == Array(stride(from: 170, through: 130 + 40 * window, by: 40))
        )
    }

    @Test func resetForgetsTheStride() {
        var pattern = ReadAheadPattern()
        for position in 0...2 { _ = pattern.read(position: position, count: 1_000) }
        pattern.reset()
        #expect(pattern == ReadAheadPattern())
        #expect(pattern.read(position: 3, count: 1_000) == [])
        #expect(pattern.read(position: 4, count: 1_000) == [])
        #expect(pattern.read(position: 5, count: 1_000) == Array(6...(5 + window)))
    }
}

import Testing

@testable import MailStore

/// The order a folder's first scan gives UIDs in: by the seconds the names begin with, then by name.
@Suite struct DeliveryOrderTests {
    private static func byRule(_ files: [(key: String, value: String)]) -> [String] {
        files.sorted {
            let (a, b) = (
                MaildirFileName.leadingSeconds(of: $0.key) ?? 0, MaildirFileName.leadingSeconds(of: $1.key) ?? 0
            )
            return a != b ? a < b : $0.key < $1.key
        }.map(\.key)
    }

    @Test func secondsFirstThenNames() {
        var generator = SystemRandomNumberGenerator()
        // Many names in the same second, names without seconds (0), and the largest seconds a name gives.
        var files: [(key: String, value: String)] = []
        for index in 0..<3_000 {
            let seconds = Int.random(in: 1_700_000_000..<1_700_000_050, using: &generator)
            files.append(("\(seconds).M\(index)P\(Int.random(in: 1..<9, using: &generator)).host", "x"))
        }
        files += [("nodigits.host", "x"), ("0.M1.host", "x"), ("zzz", "x")]
        files.shuffle()
        #expect(MaildirFolder.inDeliveryOrder(files).map(\.key) == Self.byRule(files))
        let huge = files + [("999999999999.M1.host", "x"), ("999999999999.M0.host", "x")]
        #expect(MaildirFolder.inDeliveryOrder(huge).map(\.key) == Self.byRule(huge))
        #expect(MaildirFolder.inDeliveryOrder([]).isEmpty)
    }
}

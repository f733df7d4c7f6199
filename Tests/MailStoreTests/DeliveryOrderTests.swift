import Foundation
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

    /// Names correo makes in one second take their UIDs in the order they were made, whatever the
    /// number of digits in their microseconds: unpadded, `M100000` sorted before `M99999`, and two
    /// messages delivered a millisecond apart got their UIDs the wrong way round.
    @Test func namesMadeInOneSecondKeepTheOrderTheyWereMadeIn() {
        let second = 1_700_000_000.0
        // At 1.7e9 s a Double's step is about 0.24 µs: the fractions are chosen well apart.
        let fractions = [0.000_002, 0.000_090, 0.000_110, 0.099_900, 0.100_100, 0.5, 0.999_900]
        let made = fractions.map {
            MaildirFileName.uniqueBase(date: Date(timeIntervalSince1970: second + $0), size: 10, crlfSize: 12)
        }
        #expect(made.allSatisfy { $0.hasPrefix("1700000000.M") })
        let microseconds = made.map { $0.split(separator: "M")[1].split(separator: "P")[0] }
        #expect(microseconds.allSatisfy { $0.count == 6 && $0.allSatisfy(\.isNumber) }, "\(made)")
        let ordered = MaildirFolder.inDeliveryOrder(made.reversed().map { (key: $0, value: $0) }).map(\.key)
        #expect(ordered == made)
    }
}

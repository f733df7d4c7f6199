import Foundation
import Testing

@testable import MailStore

/// `LowPriorityThread`: work runs on one thread of its own, at nice 10, and hands back its result.
@Suite struct LowPriorityThreadTests {
    @Test func jobsRunOnOneThreadAtNiceTenAndReturnTheirResults() throws {
        let seen = (1...3).map { n in
            LowPriorityThread.shared.run { () -> (Int, String, String) in
                // /proc/thread-self/stat: field 19 is the thread's nice value (after the name in parentheses).
                let stat = (try? String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8)) ?? ""
                let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
                let nice = fields.count > 16 ? String(fields[16]) : "?"
                let thread = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                return (n * n, nice, thread + "\(pthread_self())")
            }
        }
        #expect(seen.map(\.0) == [1, 4, 9])
        #expect(seen.allSatisfy { $0.1 == "10" }, "\(seen)")
        #expect(Set(seen.map(\.2)).count == 1)
    }
}

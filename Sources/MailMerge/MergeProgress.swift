import Foundation

/// Progress on standard error: a bar redrawn in place on a terminal, plain lines otherwise (one every
/// `lineEvery` rows and at the end), so logs of CI runs stay readable.
public final class MergeProgress: @unchecked Sendable {
    private let total: Int
    private let isTerminal: Bool
    private let lineEvery: Int
    private let lock = NSLock()
    private var sent = 0
    private var failed = 0
    private var skipped = 0
    private var lastDraw = Date.distantPast
    private let write: @Sendable (String) -> Void

    /// Creates a display for `total` rows; `isTerminal` picks the bar.
    public init(
        total: Int,
        isTerminal: Bool,
        lineEvery: Int = 100,
        write: @escaping @Sendable (String) -> Void = { try? FileHandle.standardError.write(contentsOf: Data($0.utf8)) }
    ) {
        self.total = total
        self.isTerminal = isTerminal
        self.lineEvery = max(1, lineEvery)
        self.write = write
    }

    /// Counts one row's outcome and redraws when due.
    public func record(_ outcome: RowOutcome) {
        let text: String? = lock.withLock {
            switch outcome.status {
            case .sent: sent += 1
            case .failed: failed += 1
            case .skipped: skipped += 1
            }
            let done = sent + failed + skipped
            if isTerminal {
                let now = Date()
                guard done == total || now.timeIntervalSince(lastDraw) >= 0.1 else { return nil }
                lastDraw = now
                return "\r" + bar(done: done) + (done == total ? "\n" : "")
            }
            guard done % lineEvery == 0 || done == total else { return nil }
            return "progress: \(done)/\(total) rows, \(sent) sent, \(failed) failed, \(skipped) skipped\n"
        }
        if let text { write(text) }
    }

    /// Ends the bar's line when a run stops early.
    public func finish() {
        if isTerminal { write("\n") }
    }

    private func bar(done: Int) -> String {
        let width = 30
        let filled = total == 0 ? width : width * done / total
        let percent = total == 0 ? 100 : 100 * done / total
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + "\(percent)% \(done)/\(total)  sent \(sent)  failed \(failed)  skipped \(skipped)"
    }
}

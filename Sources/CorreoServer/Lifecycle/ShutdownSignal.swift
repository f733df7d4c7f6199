import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM, the two ways an operator (Ctrl-C) or a supervisor (systemd, docker stop)
/// asks a server to stop. The default actions are turned off so that the process can shut down gracefully:
/// stop accepting, let sessions finish their current transaction, then exit.
public enum ShutdownSignal {
    /// Returns the name of the first of SIGINT/SIGTERM that arrives after the call.
    public static func wait() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let queue = DispatchQueue(label: "correo.signals")
            let once = Once()
            var sources: [DispatchSourceSignal] = []
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    guard once.claim() else { return }
                    continuation.resume(returning: name)
                }
                source.resume()
                sources.append(source)
            }
            // The sources must outlive this closure; they live as long as the process does.
            SignalSources.keep(sources)
        }
    }

    /// Restores the default actions, so that a second Ctrl-C during a slow shutdown ends the process at once.
    public static func restoreDefaults() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// A flag that can be claimed once, from any thread.
private final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }
}

/// Holds signal sources for the life of the process.
private enum SignalSources {
    nonisolated(unsafe) private static var kept: [DispatchSourceSignal] = []
    private static let lock = NSLock()

    static func keep(_ sources: [DispatchSourceSignal]) {
        lock.lock()
        kept += sources
        lock.unlock()
    }
}

import Dispatch
import Foundation

/// SIGHUP, the signal `systemctl reload` and certificate renewal hooks (certbot's `--deploy-hook`) send
/// to ask a daemon to read its files again.
///
/// Its default action ends the process, so it is caught from the start of `CorreoService.run` and turned into a reload.
public enum ReloadSignal {
    /// Calls `reload` (on a private queue) for each SIGHUP from now on.
    public static func handle(_ reload: @escaping @Sendable () -> Void) {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "correo.reload"))
        source.setEventHandler(handler: reload)
        source.resume()
        kept.withLock { $0.append(source) }
    }

    /// The sources live as long as the process does.
    private static let kept = NSLockedArray()
}

/// An array behind a lock, for the signal sources.
private final class NSLockedArray: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []

    func withLock(_ body: (inout [DispatchSourceSignal]) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&sources)
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
private let datagramSocket = Int32(SOCK_DGRAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let datagramSocket = SOCK_DGRAM
#endif

/// sd_notify(3) without libsystemd: one datagram to the socket systemd names in `$NOTIFY_SOCKET`, so a
/// `Type=notify` unit (contrib/systemd/correo.service) knows when correo listens (READY=1), reloads
/// after SIGHUP (RELOADING=1, then READY=1) and stops (STOPPING=1).
///
/// Without the variable it does nothing: started by hand or by another supervisor, correo behaves as before.
public enum SystemdNotify {
    /// Sends `state` (newline-separated `KEY=value` assignments); false when there is no socket or the
    /// send failed (systemd then times the start out, which is the right signal).
    @discardableResult
    public static func send(_ state: String) -> Bool {
        guard let path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // '@' is the abstract namespace: a leading NUL in sun_path.
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
        let descriptor = socket(AF_UNIX, datagramSocket, 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { buffer in
                    sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == message.count
    }

    /// RELOADING=1 with the CLOCK_MONOTONIC time systemd ≥ 253 asks for (`Type=notify-reload`).
    public static func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)")
    }
}

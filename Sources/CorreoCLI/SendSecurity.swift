import ArgumentParser
import SMTPClient

/// How `correo send` protects its connection, and what it tells the user when the server can't be used.
///
/// The rule for this machine: a connection to localhost, 127.0.0.0/8 or ::1 never leaves the host, so the
/// only one who could answer in the server's place already controls the machine (its root, or the server
/// itself). Verifying a certificate there protects against nobody, and it is what broke the original's
/// workflow (`-h localhost` against a self-signed `smtpd`). So, unless `--cafile` or `--insecure` says
/// otherwise, a loopback server's certificate is not verified, and without `--tls` STARTTLS is used when
/// offered (as MTAs do opportunistically, RFC 3207). For every other host the certificate is verified and
/// STARTTLS is required.
struct SendSecurity {
    /// `--tls`.
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case starttls, implicit, none
    }

    let mode: SMTPClient.TLSMode
    let trust: SMTPClient.Trust
    /// Whether the loopback rule chose `mode` or `trust`.
    let isLoopbackRelaxed: Bool
    private let choice: Choice?
    private let host: String

    init(host: String, tls: Choice?, cafile: String?, insecure: Bool) {
        self.host = host
        choice = tls
        let relaxed = cafile == nil && !insecure && Self.isLoopback(host)
        isLoopbackRelaxed = relaxed && tls != Choice.none
        switch tls {
        case .starttls?: mode = .startTLS(.required)
        case .implicit?: mode = .implicit
        case Choice.none?: mode = .none
        case nil: mode = relaxed ? .startTLS(.opportunistic) : .startTLS(.required)
        }
        if insecure || relaxed {
            trust = .insecure
        } else {
            trust = cafile.map { .certificateAuthorities(pemFile: $0) } ?? .system
        }
    }

    /// The line printed before sending when the connection is less protected than the default.
    func notice(hasCredentials: Bool) -> String? {
        if choice == Choice.none {
            return "warning: --tls none: messages\(hasCredentials ? " and the password" : "") go unencrypted"
        }
        guard isLoopbackRelaxed else { return nil }
        return "note: \(host) is this machine, so its TLS certificate is not verified"
            + (choice == nil ? " and STARTTLS is used when offered" : "")
            + " (give --cafile FILE to verify it)."
    }

    /// localhost (and names under .localhost, RFC 6761 §6.3), 127.0.0.0/8 and ::1.
    static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" || name == "0:0:0:0:0:0:0:1" {
            return true
        }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }

    /// What the user can do about a server that could not be used at all, naming the flag that fixes it.
    static func advice(for error: SMTPClientError, port: Int) -> String? {
        switch error {
        case .cannotConnect(_, _, .refused):
            return "Is the server running and listening on port \(port)? Give another port with -p."
        case .cannotConnect(_, _, .unknownHost):
            return "Check the host name given with -h."
        case .cannotConnect:
            return "Check the host (-h), the port (-p) and any firewall between."
        case .tlsHandshakeFailed(.certificateExpired):
            return "The server's operator must renew its certificate; --insecure skips the check for a test server."
        case .tlsHandshakeFailed(.certificateNotTrusted), .tlsHandshakeFailed(.hostnameMismatch):
            return "Give the server's certificate (or its authority) with --cafile FILE — a correo server's "
                + "own is STORAGE/tls/cert.pem — or --insecure to skip the check for a test server."
        case .tlsHandshakeFailed:
            return "Does port \(port) speak TLS the way --tls says? --tls starttls (ports 587 and 25), "
                + "--tls implicit (465), or --tls none for a server without TLS."
        case .startTLSNotOffered, .startTLSRejected:
            return "Use --tls implicit if the port speaks TLS from the start, or --tls none to send in the clear."
        case .authenticationFailed, .authenticationNotOffered, .authenticationMechanismsUnsupported:
            return "Check --user and the password (--password-file or CORREO_SMTP_PASSWORD), and the port: "
                + "submission is usually 587 or 465."
        case .authenticationRequiresTLS:
            return "Use --tls starttls or --tls implicit; --tls none sends the password in the clear."
        default:
            return nil
        }
    }

    /// sysexits(3): EX_UNAVAILABLE for a server that can't be reached or spoken to, EX_NOPERM for refused
    /// credentials, 1 for anything else.
    static func exitStatus(for error: SMTPClientError) -> Int32 {
        switch error {
        case .cannotConnect, .tlsHandshakeFailed, .startTLSNotOffered, .startTLSRejected, .connectionFailed,
            .connectionClosed, .timeout, .greetingRejected, .serviceNotAvailable:
            return 69
        case .authenticationFailed, .authenticationNotOffered, .authenticationMechanismsUnsupported,
            .authenticationRequiresTLS:
            return 77
        default:
            return 1
        }
    }
}

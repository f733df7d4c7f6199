import CoreMetrics

// What the handler reads off the session's actions and the framer's events, and the metric it times
// commands with: small questions kept beside the handler so that its file stays about the flow.

extension IMAPChannelHandler {
    /// `correo_imap_command_duration_seconds{command}`: from the command's start to its tagged
    /// response, store work and the client's reading included.
    static func commandTimer(_ name: String) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: "correo_imap_command_duration_seconds", dimensions: [("command", name.uppercased())])
    }
}

extension Duration {
    var nanoseconds: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}

extension IMAPSession.Action {
    /// Whether this action tells the shared throttle a login's verdict.
    var reportsToAuthThrottle: Bool {
        switch self {
        case .recordAuthenticationSuccess, .recordAuthenticationFailure: true
        default: false
        }
    }
}

extension IMAPFramer.Event {
    /// Whether this event costs a rate-limit token: a command line or one the framer refused.
    ///
    /// So a flood of junk is slowed like a flood of NOOPs. Literal chunks belong to a command already counted.
    var isCommand: Bool {
        switch self {
        case .command, .error: true
        default: false
        }
    }
}

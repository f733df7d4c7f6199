import IMAPServer
import NIOCore
import NNTPServer
import SMTPServer

extension CorreoService {
    // The keys that change live are those `ConfigurationReader.take` copies; each server reads its settings when it
    // accepts a connection, so new sessions get the new values and open ones keep those they started with.

    /// The local domains and limits of `configuration` in an SMTP server's settings: at start, and again at
    /// each reload.
    static func applyLiveSettings(_ configuration: CorreoConfiguration, to smtp: inout SMTPServerConfiguration) {
        let limits = configuration.limits
        smtp.localDomains = configuration.domains
        smtp.maximumConnections = limits.maximumConnections
        smtp.maximumConnectionsPerAddress = limits.maximumConnectionsPerAddress
        smtp.idleTimeout = .seconds(Int64(limits.commandTimeoutSeconds))
        smtp.maximumMessageSize = limits.maximumMessageSize
        smtp.maximumRecipients = limits.maximumRecipients
    }

    /// The limits of `configuration` in the IMAP server's settings.
    static func applyLiveSettings(_ configuration: CorreoConfiguration, to imap: inout IMAPServer.Configuration) {
        let limits = configuration.limits
        imap.maxConnections = limits.maximumConnections
        imap.maxConnectionsPerAddress = limits.maximumConnectionsPerAddress
        imap.defences.loginTimeoutSeconds = limits.loginTimeoutSeconds
    }

    /// Puts the live keys of a reloaded configuration (`ConfigurationReader.take`) into the running servers and the
    /// queue runner.
    func applyLiveSettings(_ configuration: CorreoConfiguration) {
        smtp?.reconfigure { Self.applyLiveSettings(configuration, to: &$0) }
        imap?.reconfigure { Self.applyLiveSettings(configuration, to: &$0) }
        nntp?.reconfigure {
            $0.maxConnections = configuration.limits.maximumConnections
            $0.maxConnectionsPerAddress = configuration.limits.maximumConnectionsPerAddress
        }
        if let relay { Task { await relay.setLocalDomains(configuration.domains) } }
    }
}

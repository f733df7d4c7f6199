import Foundation
import Logging
import NIOSSL
import ServerSupport

extension CorreoService {
    /// What SIGHUP does: reads the configuration file, the certificate and key, the users file and the DKIM
    /// keys again, without closing a listener or a session.
    ///
    /// Whatever cannot be read is reported and the old value kept, so a bad renewal never takes TLS down. Open sessions
    /// (an IDLE, a DATA transfer) go on with what they started with; new connections get the new certificate.
    public func reload() {
        logger.notice("SIGHUP received: reloading", metadata: [LogKey.event: "reload"])
        SystemdNotify.reloading()
        reloadConfiguration()
        reloadCertificate()
        reloadUsers()
        reloadDKIM()
        SystemdNotify.send("READY=1")
    }

    /// Applies the configuration file's live keys (the log level, the local domains, the limits) to new sessions and
    /// names each changed key that needs a restart, at warning level, so that an edited port or storage folder is
    /// never silently ignored.
    private func reloadConfiguration() {
        guard let reader = configurationReader else { return }
        let outcome: ConfigurationReader.Outcome
        do {
            outcome = try reader.reload()
        } catch {
            logger.error(
                "configuration not reloaded, the old one stays in use",
                metadata: [LogKey.event: "reload.config", LogKey.file: "\(reader.path)", LogKey.error: "\(error)"]
            )
            return
        }
        if let running = outcome.running { applyLiveSettings(running) }
        logger.notice(
            outcome.applied.isEmpty
                ? "reloaded configuration"
                : "reloaded configuration; new sessions get \(outcome.applied.joined(separator: ", "))",
            metadata: [
                LogKey.event: "reload.config", LogKey.file: "\(reader.path)",
                "applied": "\(outcome.applied.joined(separator: ","))",
            ]
        )
        if !outcome.needRestart.isEmpty {
            logger.warning(
                "changed settings take effect only after a restart: \(outcome.needRestart.joined(separator: ", "))",
                metadata: [
                    LogKey.event: "reload.config", LogKey.file: "\(reader.path)",
                    "needs_restart": "\(outcome.needRestart.joined(separator: ","))",
                ]
            )
        }
    }

    /// Reads STORAGE/dkim/ now (it is also looked at again every 2 s when its files change).
    private func reloadDKIM() {
        let keys = dkim.rescan()
        logger.notice(
            "reloaded DKIM keys",
            metadata: [
                LogKey.event: "reload.dkim", LogKey.file: "\(dkim.folder.path)", LogKey.count: "\(keys.count)",
                "keys": "\(keys.joined(separator: ","))",
            ]
        )
    }

    private func reloadCertificate() {
        do {
            let context = try Self.tlsContext(configuration: configuration, logger: logger)
            tls.replace(context)
            var metadata: Logger.Metadata = [LogKey.event: "reload.tls"]
            if let path = configuration.certificatePath { metadata[LogKey.file] = "\(path)" }
            if let leaf = Self.leaf(of: configuration) {
                metadata[LogKey.certificateSerial] = "\(leaf.serial)"
                metadata[LogKey.certificateNotAfter] = "\(leaf.notAfter)"
            }
            logger.notice("reloaded TLS certificate; new connections get it", metadata: metadata)
        } catch {
            logger.error(
                "TLS certificate not reloaded, the old one stays in use",
                metadata: [LogKey.event: "reload.tls", LogKey.error: "\(error)"]
            )
        }
    }

    private func reloadUsers() {
        // The database's users are read at each login: there is no file to read again.
        guard users == nil else { return }
        do {
            let count = try store.users.list().count
            logger.notice(
                "reloaded users",
                metadata: [
                    LogKey.event: "reload.users", LogKey.file: "\(store.users.file.path)", LogKey.count: "\(count)",
                ]
            )
        } catch {
            logger.error(
                "users file not reloaded, the old list stays in use",
                metadata: [
                    LogKey.event: "reload.users", LogKey.file: "\(store.users.file.path)", LogKey.error: "\(error)",
                ]
            )
        }
    }

    /// The serial (hex) and expiry of the configured leaf certificate, for the reload's log line.
    private static func leaf(of configuration: CorreoConfiguration) -> (serial: String, notAfter: String)? {
        let generated = configuration.storage.appendingPathComponent("tls/cert.pem").path
        guard let path = configuration.certificatePath ?? Optional(generated),
            let leaf = try? NIOSSLCertificate.fromPEMFile(path).first
        else { return nil }
        let serial = leaf.serialNumber.map { String(format: "%02X", $0) }.joined()
        let notAfter = Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter))
        return (serial, ISO8601DateFormatter().string(from: notAfter))
    }
}

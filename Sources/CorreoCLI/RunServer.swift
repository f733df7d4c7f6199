import ArgumentParser
import CorreoServer
import Foundation
import Logging
import MailStorage
import NIOCore
import PostgresStore
import Synchronization

/// Starts the chosen servers with `configuration` and runs until SIGINT/SIGTERM.
///
/// Operator mistakes (a bad certificate, a port in use) end the command with one clear line and a non-zero exit.
/// `reader` reads the configuration file again on SIGHUP. With `store`, users, their mailboxes and their
/// mail are in that PostgreSQL store, whose schema must be current (`correo db migrate`).
func runServer(
    _ configuration: CorreoConfiguration,
    protocols: CorreoService.Protocols,
    reader: ConfigurationReader? = nil,
    store: PostgresStoreURL? = nil
) async throws {
    // A server outlives whoever reads its log: SIGPIPE's default, ending the process, would take every
    // session down when that reader goes away (journald restarted, `correo serve 2>&1 | head`).
    signal(SIGPIPE, SIG_IGN)
    // A level SIGHUP can change: every logger follows LiveLogLevel.
    LoggingSystem.bootstrap(configuration.logFormat.liveHandler(level: configuration.logLevel))
    let logger = Logger(label: "correo")
    // Two protocols, each up to its connection cap, plus files, listeners and the store's own.
    raiseOpenFileLimit(needed: 2 * configuration.limits.maximumConnections + 256, logger: logger)
    // Whatever the store creates (Maildirs, messages, indexes) is the server account's alone.
    umask(0o077)
    guard let store else {
        return try await runService(configuration, protocols: protocols, reader: reader, users: nil, logger: logger)
    }
    // Only the database's own failures (connecting, a schema not migrated) are reported as the database's.
    let opened = Mutex(false)
    do {
        try await PostgresMailStore.withStore(url: store, logger: logger) { database in
            try await database.requireCurrentSchema()
            opened.withLock { $0 = true }
            logger.notice("users and mail in \(store)")
            try await runService(configuration, protocols: protocols, reader: reader, users: database, logger: logger)
        }
    } catch let error where !opened.withLock({ $0 }) && !(error is ExitCode) {
        // One line and exit status 1, as `correo db` reports a database: no usage text for a server that is down.
        let reason = PostgresStoreError.reason(for: error)
        printError("correo serve: --store \(store): \(reason)")
        throw ExitCode.failure
    }
}

/// Makes the service and runs it, turning an operator's mistake into one line and an exit code.
private func runService(
    _ configuration: CorreoConfiguration,
    protocols: CorreoService.Protocols,
    reader: ConfigurationReader?,
    users: (any MailStorageBackend)?,
    logger: Logger
) async throws {
    do {
        let service = try CorreoService(
            configuration: configuration,
            protocols: protocols,
            logger: logger,
            configurationReader: reader,
            users: users
        )
        try await service.run()
    } catch let error as CertificateError {
        throw ValidationError(error.description)
    } catch let error as PrivilegeError {
        throw ValidationError(error.description)
    } catch let error as NSError where error.domain == NSCocoaErrorDomain {
        // Only the storage folder is made through Foundation before the listeners start.
        throw ServerStartFailure.storage(configuration.storage, error).exit()
    } catch {
        guard let failure = ServerStartFailure.listening(error, configuration: configuration) else { throw error }
        throw failure.exit()
    }
}

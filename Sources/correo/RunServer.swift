import ArgumentParser
import CorreoServer
import Foundation
import Logging
import NIOCore

/// Starts the chosen servers with `configuration` and runs until SIGINT/SIGTERM.
///
/// Operator mistakes (a bad certificate, a port in use) end the command with one clear line and a non-zero exit.
/// `reader` reads the configuration file again on SIGHUP.
func runServer(
    _ configuration: CorreoConfiguration,
    protocols: CorreoService.Protocols,
    reader: ConfigurationReader? = nil
) async throws {
    // A level SIGHUP can change: every logger follows LiveLogLevel.
    LoggingSystem.bootstrap(configuration.logFormat.liveHandler(level: configuration.logLevel))
    let logger = Logger(label: "correo")
    // Two protocols, each up to its connection cap, plus files, listeners and the store's own.
    raiseOpenFileLimit(needed: 2 * configuration.limits.maximumConnections + 256, logger: logger)
    // Whatever the store creates (Maildirs, messages, indexes) is the server account's alone.
    umask(0o077)
    do {
        let service = try CorreoService(
            configuration: configuration,
            protocols: protocols,
            logger: logger,
            configurationReader: reader
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

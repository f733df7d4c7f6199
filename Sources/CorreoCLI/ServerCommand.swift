import ArgumentParser
import CorreoServer
import Foundation
import PostgresStore

/// A command that runs servers from ServerOptions (serve, smtpd, imapd): its configuration comes from its
/// flags, the `CORREO_…` environment, the configuration file and the defaults, in that order.
protocol ServerCommand: ParsableArguments {
    var server: ServerOptions { get }

    /// The configuration from this command's flags over the setting layers in force.
    func resolvedConfiguration() throws -> CorreoConfiguration
}

extension ServerCommand {
    /// The configuration file named by `--config`, else by `CORREO_CONFIG`.
    func configPath(environment: [String: String]?) -> String? {
        if let path = server.config { return path }
        guard let path = (environment ?? ProcessInfo.processInfo.environment)["CORREO_CONFIG"], !path.isEmpty
        else { return nil }
        return path
    }

    /// Loads and checks the configuration file, if any, and resolves the configuration over it.
    ///
    /// A value the options refuse is reported with the file, line and key of the entry that alone gives the same
    /// refusal.
    func resolve(environment: [String: String]? = nil) throws -> (CorreoConfiguration, ConfigFile?) {
        let file = try configPath(environment: environment).map { path in
            do {
                return try ConfigFile.load(path: path)
            } catch let error as ConfigFileError {
                throw ValidationError(error.description)
            }
        }
        let layers = SettingLayers(environment: environment ?? ProcessInfo.processInfo.environment, file: file)
        do {
            return (try SettingLayers.$current.withValue(layers) { try resolvedConfiguration() }, file)
        } catch {
            guard let file, let named = Self.entry(refusing: error, in: file) else { throw error }
            throw ValidationError(named.description)
        }
    }

    /// The entry of `file` that, resolved alone (no flags, no environment), is refused as `error` was:
    /// `log-level = "loud"`, or `group` without `user`.
    static func entry(refusing error: any Error, in file: ConfigFile) -> ConfigFileError? {
        for entry in file.entries {
            do {
                let alone = SettingLayers(environment: [:], file: ConfigFile(path: file.path, entries: [entry]))
                _ = try SettingLayers.$current.withValue(alone) { try Self.parse([]).resolvedConfiguration() }
            } catch let refusal where "\(refusal)" == "\(error)" {
                return ConfigFileError(path: file.path, line: entry.line, key: entry.key, reason: "\(error)")
            } catch {
                continue
            }
        }
        return nil
    }

    /// How a SIGHUP reads the file again: with this command's flags and environment, keeping `file`'s path.
    func reader(for file: ConfigFile?, running: CorreoConfiguration) -> ConfigurationReader? {
        guard let file else { return nil }
        // The parsed command is an immutable value only read again here, on the reload's thread.
        nonisolated(unsafe) let command = self
        return ConfigurationReader(path: file.path, running: running) {
            try command.resolve().0
        } changedKeys: { old, new in
            ConfigKey.all.filter { $0.value(old) != $0.value(new) }.map(\.name)
        }
    }

    /// Resolves, then runs `protocols` until SIGINT/SIGTERM; SIGHUP reads the file again.
    func runServers(_ protocols: CorreoService.Protocols) async throws {
        let (configuration, file) = try resolve()
        try await runServer(
            configuration,
            protocols: protocols,
            reader: reader(for: file, running: configuration),
            store: try configuration.store.map { try PostgresStoreURL($0) }
        )
    }
}

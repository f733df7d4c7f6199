import ArgumentParser
import CorreoServer
import Foundation

/// `correo config`: the configuration file's tools.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration file, or show every setting serve would run with and where it came from.",
        subcommands: [ConfigCheck.self, ConfigShow.self]
    )
}

/// `correo config check`: loads the file as `correo serve` would and says what is wrong with it.
struct ConfigCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Check the configuration file (--config or CORREO_CONFIG); exit 0, or 64 naming the file, line and key."
    )

    @OptionGroup var options: ServeOptions

    func run() throws {
        guard let path = options.configPath(environment: nil) else {
            throw ValidationError("no configuration file: give --config FILE or set CORREO_CONFIG")
        }
        let (_, file) = try options.resolve()
        print("\(path): OK, \(file?.entries.count ?? 0) settings")
    }
}

/// `correo config show`: the value of every key and whether a flag, the environment, the file or the default
/// gave it.
struct ConfigShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show every setting serve would run with and where it came from: flag, env, file or default.",
        discussion: "Takes serve's flags, so that `correo config show` followed by them shows what they change."
    )

    @OptionGroup var options: ServeOptions

    @Option(
        name: .customLong("for"),
        help: """
            The command whose view to show: serve, smtpd or imapd (their defaults differ). \
            smtpd and imapd are shown from --config and the CORREO_… variables only.
            """
    )
    var shown: ShownCommand = .serve

    func run() throws {
        let arguments = Array(CommandLine.arguments.drop { $0 != "show" }.dropFirst())
        let environment = ProcessInfo.processInfo.environment
        print(try Self.report(for: shown, options, arguments: arguments, environment: environment), terminator: "")
    }

    /// Where a key's value came from.
    enum Source: Equatable, CustomStringConvertible {
        case flag
        case environment(String)
        case file(String, Int)
        case `default`
        /// The command shown (`--for smtpd`) has no use for the key: a value in the file is not an error, and does
        /// nothing.
        case unused

        var description: String {
            switch self {
            case .flag: "flag"
            case .environment(let variable): "env (\(variable))"
            case .file(let path, let line): "file (\(path):\(line))"
            case .default: "default"
            case .unused: "not used by this command"
            }
        }
    }

    /// Each key with its effective value and its source, in the table's order.
    static func rows(
        _ options: some ServerCommand,
        arguments: [String],
        environment: [String: String]
    ) throws -> [(key: ConfigKey, value: String, source: Source)] {
        let (configuration, file) = try options.resolve(environment: environment)
        return ConfigKey.all.map { key in
            let source: Source
            if !(options is ServeOptions), Self.ignores(options, key, configuration: configuration, file: file) {
                source = .unused
            } else if givenAsFlag(key, in: arguments) {
                source = .flag
            } else if let value = environment["CORREO_" + key.variable], !value.isEmpty {
                source = .environment("CORREO_" + key.variable)
            } else if let file, let entry = file.entry(key.name) {
                source = .file(file.path, entry.line)
            } else {
                source = .default
            }
            return (key, key.value(configuration), source)
        }
    }

    /// The rows as aligned text, one key a line.
    static func report(
        _ options: some ServerCommand,
        arguments: [String],
        environment: [String: String]
    ) throws
        -> String
    {
        let rows = try rows(options, arguments: arguments, environment: environment)
        let keyWidth = rows.map(\.key.name.count).max() ?? 0
        let valueWidth = min(rows.map { $0.value.isEmpty ? 6 : $0.value.count }.max() ?? 0, 48)
        return rows.map { row in
            let value = row.value.isEmpty ? "(none)" : row.value
            return row.key.name.padding(toLength: keyWidth, withPad: " ", startingAt: 0) + "  "
                + (value.count < valueWidth ? value.padding(toLength: valueWidth, withPad: " ", startingAt: 0) : value)
                + "  \(row.source)\n"
        }.joined()
    }

    /// Short names of the options that have them (StorageOption's `-s`, ServerOptions' `-d`).
    static let shortNames = ["storage": "-s", "domain": "-d"]

    /// Whether `arguments` give `key`: `--name`, `--name=…`, `--no-name` or its short name.
    static func givenAsFlag(_ key: ConfigKey, in arguments: [String]) -> Bool {
        let spellings = [key.flag, "--no-" + key.name] + (shortNames[key.name].map { [$0] } ?? [])
        return arguments.contains { argument in
            spellings.contains { argument == $0 || argument.hasPrefix($0 + "=") }
                || (shortNames[key.name].map {
                    argument.hasPrefix($0) && argument.count > 2 && !argument.hasPrefix("--")
                } ?? false)
        }
    }
}

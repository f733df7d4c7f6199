import ArgumentParser
import CorreoServer

/// The commands whose view `correo config show --for` gives.
enum ShownCommand: String, ExpressibleByArgument, CaseIterable, Sendable {
    case serve
    case smtpd
    case imapd
}

extension ConfigShow {
    /// The report for `shown`: serve's from its flags; smtpd's and imapd's from `--config` and the environment, as those
    /// commands would resolve them (their ports and defaults differ from serve's).
    static func report(
        for shown: ShownCommand,
        _ options: ServeOptions,
        arguments: [String],
        environment: [String: String]
    ) throws -> String {
        guard shown != .serve else { return try report(options, arguments: arguments, environment: environment) }
        if let flag = flags(in: arguments).first(where: { $0 != "--config" && $0 != "--for" }) {
            throw ValidationError(
                "\(flag): with --for \(shown.rawValue), config show takes only --config (and CORREO_… variables)"
            )
        }
        let own = options.server.config.map { ["--config", $0] } ?? []
        return switch shown {
        case .smtpd: try report(SMTPD.parse(own), arguments: own, environment: environment)
        case .imapd: try report(IMAPD.parse(own), arguments: own, environment: environment)
        case .serve: try report(options, arguments: arguments, environment: environment)
        }
    }

    /// The option names in `arguments` (`--name` of `--name=value`, short names), leaving values out.
    static func flags(in arguments: [String]) -> [String] {
        arguments.filter { $0.hasPrefix("-") }.map { String($0.split(separator: "=", maxSplits: 1)[0]) }
    }

    /// Whether `command` takes no notice of `key` (smtpd has no IMAP port, imapd no relay).
    ///
    /// Giving the key its example value in the file changes nothing in what the command resolves. A key whose value
    /// already is its example, or whose example the command refuses, counts as used.
    static func ignores(
        _ command: some ServerCommand,
        _ key: ConfigKey,
        configuration: CorreoConfiguration,
        file: ConfigFile?
    ) -> Bool {
        let current = key.value(configuration)
        let example = key.kind == .switch ? (key.example == "true" ? "1" : "0") : key.example
        guard current != key.example, current != example else { return false }
        let entries = (file?.entries ?? []).filter { $0.key != key.name }
        let probe = ConfigFile(
            path: file?.path ?? "probe",
            entries: entries + [ConfigFile.Entry(key: key.name, text: example, line: 0)]
        )
        let layers = SettingLayers(environment: [:], file: probe)
        guard
            let probed = try? SettingLayers.$current.withValue(
                layers,
                operation: { try command.resolvedConfiguration() }
            )
        else { return false }
        return key.value(probed) == current
    }
}

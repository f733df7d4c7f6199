import ArgumentParser
import CorreoServer
import Foundation
import MailTestSupport
import Testing

@testable import CorreoCLI

/// Issue 15: the configuration file says everything a flag can, under flags and the environment, and names
/// the file, line and key of every mistake.
///
/// In-process: the options are parsed as `correo serve` parses them.
@Suite(.offThePool) struct ConfigFileTests {
    /// Keys that are refused without another one (`--group needs --user`, `--key needs --cert`).
    static let companions = [
        "group": ["--user", "correo"], "key": ["--cert", "/etc/correo/cert.pem"],
        "relay-user": ["--relay-password-file", "/etc/correo/relay-password"], "dev-password": ["--dev"],
        "dev-fault": ["--dev"], "dev-release-allow": ["--dev"],
    ]

    static func flagArguments(_ key: ConfigKey, _ value: String) -> [String] {
        switch key.kind {
        case .string, .integer: [key.flag, value]
        case .switch: [value == "true" ? key.flag : "--no-" + key.name]
        case .list: value.split(separator: ",").flatMap { [key.flag, String($0)] }
        }
    }

    static func tomlLine(_ key: ConfigKey, _ value: String) -> String {
        switch key.kind {
        case .string: "\(key.name) = \"\(value)\""
        case .integer, .switch: "\(key.name) = \(value)"
        case .list: "\(key.name) = [" + value.split(separator: ",").map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        }
    }

    static func resolve(_ arguments: [String], environment: [String: String] = [:]) throws -> CorreoConfiguration {
        try ServeOptions.parse(arguments).resolve(environment: environment).0
    }

    @Test("every key gives the same configuration from its flag and from the file, and changes the default")
    func everyKeyRoundTrips() async throws {
        let folder = try TemporaryDirectory(prefix: "correo-config-keys")
        defer { folder.remove() }
        // 130 parses of serve's options take a minute of a debug build's CPU: off the cooperative pool, so
        // the rest of the suite (servers in this process) keeps its threads meanwhile.
        let (defaults, resolved) = try await OffThePool.run {
            let defaults = try Self.resolve([])
            let resolved = try ConfigKey.all.map { key in
                let companion = Self.companions[key.name] ?? []
                let file = folder.url.appendingPathComponent("\(key.name).toml").path
                try Data("# \(key.name)\n\(Self.tomlLine(key, key.example))\n".utf8).write(
                    to: URL(fileURLWithPath: file)
                )
                let fromFlag = try Self.resolve(companion + Self.flagArguments(key, key.example))
                let fromFile = try Self.resolve(companion + ["--config", file])
                return (fromFlag, fromFile)
            }
            return (defaults, resolved)
        }
        for (key, (fromFlag, fromFile)) in zip(ConfigKey.all, resolved) {
            #expect(fromFlag == fromFile, "\(key.name)")
            #expect(key.value(fromFile) == key.example, "\(key.name)")
            #expect(key.value(defaults) != key.example, "\(key.name): its example is the default")
        }
    }

    @Test("every long option of serve has a key, and every key an option")
    func tableCoversTheOptions() async throws {
        let help = try await OffThePool.run { Serve.helpMessage(columns: 400) }
        // `--name` and `--[no-]name` as the help prints them; help texts cite only options that exist.
        let spelt = Set(help.matches(of: /--([a-z][a-z0-9-]*)/).map { String($0.output.1) })
        let options = Set(
            spelt.map { $0.hasPrefix("no-") && spelt.contains(String($0.dropFirst(3))) ? String($0.dropFirst(3)) : $0 }
        )
        let keys = Set(ConfigKey.all.map(\.name))
        #expect(
            options.subtracting(keys).subtracting(["config", "help", "version"]).isEmpty,
            "\(options.subtracting(keys))"
        )
        #expect(keys.subtracting(options).isEmpty, "\(keys.subtracting(options))")
    }

    @Test("a flag wins over CORREO_…, which wins over the file, which wins over the default")
    func precedence() throws {
        let folder = try TemporaryDirectory(prefix: "correo-config-precedence")
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("correo.toml").path
        try Data("smtp-port = 2000\ndomain = [\"file.example\"]\nlog-level = \"warning\"\n".utf8)
            .write(to: URL(fileURLWithPath: file))
        let environment = ["CORREO_SMTP_PORT": "3000", "CORREO_DOMAIN": "env.example"]

        let all = try Self.resolve(["--config", file, "--smtp-port", "4000"], environment: environment)
        #expect(all.ports.smtp == 4000)
        #expect(all.domains == ["env.example"])
        #expect(all.logLevel == .warning)
        #expect(try Self.resolve(["--config", file], environment: environment).ports.smtp == 3000)
        #expect(try Self.resolve(["--config", file]).ports.smtp == 2000)
        #expect(try Self.resolve(["--config", file]).domains == ["file.example"])
        #expect(try Self.resolve([]).ports.smtp == 2525)
        // CORREO_CONFIG names the file when --config does not.
        #expect(try Self.resolve([], environment: ["CORREO_CONFIG": file]).ports.smtp == 2000)
    }

    @Test("smtpd and imapd read the same file: smtp-port is smtpd's -p, imap-port imapd's")
    func smtpdAndImapdReadTheFile() throws {
        let folder = try TemporaryDirectory(prefix: "correo-config-daemons")
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("correo.toml").path
        try Data("smtp-port = 2600\nimap-port = 2601\nsubmission-port = 2602\nlog-level = \"error\"\n".utf8)
            .write(to: URL(fileURLWithPath: file))
        let smtpd = try SMTPD.parse(["--config", file]).resolve(environment: [:]).0
        #expect(smtpd.ports.smtp == 2600)
        #expect(smtpd.ports.submission == 2602)
        #expect(smtpd.logLevel == .error)
        #expect(smtpd.acceptsUnknownRecipients)
        #expect(try SMTPD.parse(["--config", file, "-p", "2700"]).resolve(environment: [:]).0.ports.smtp == 2700)
        let imapd = try IMAPD.parse(["--config", file]).resolve(environment: [:]).0
        #expect(imapd.ports.imap == 2601)
        #expect(imapd.ports.smtp == 0)
    }

    /// The usage error resolving `text` as the configuration file gives.
    static func error(_ text: String, in folder: TemporaryDirectory) -> String? {
        let file = folder.url.appendingPathComponent("correo.toml").path
        _ = FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
        do {
            _ = try resolve(["--config", file])
            return nil
        } catch let error as ValidationError {
            return error.message.replacingOccurrences(of: file, with: "correo.toml")
        } catch {
            return "not a usage error: \(error)"
        }
    }

    @Test("an unknown key, a value of the wrong kind and a refused value name the file, the line and the key")
    func errorsNameFileLineAndKey() throws {
        let folder = try TemporaryDirectory(prefix: "correo-config-errors")
        defer { folder.remove() }
        #expect(
            Self.error("# mine\nlog-level = \"info\"\n\nsmpt-port = 25\n", in: folder)
                == "correo.toml:4: smpt-port: unknown key (did you mean smtp-port?)"
        )
        #expect(
            Self.error("log_level = \"info\"\n", in: folder)
                == "correo.toml:1: log_level: unknown key (did you mean log-level?)"
        )
        #expect(Self.error("[limits]\nmax-connections = 5\n", in: folder) == "correo.toml:1: limits: unknown key")
        #expect(
            Self.error("\nsmtp-port = \"25\"\n", in: folder)
                == "correo.toml:2: smtp-port: expected a whole number, found string"
        )
        #expect(
            Self.error("allow-plaintext-auth = 1\n", in: folder)
                == "correo.toml:1: allow-plaintext-auth: expected true or false, found integer"
        )
        #expect(
            Self.error("domain = [1]\n", in: folder)
                == "correo.toml:1: domain: expected a list of strings such as [\"a\", \"b\"], found array"
        )
        #expect(
            Self.error("smtp-port = 25\nlog-level = \"loud\"\n", in: folder)
                == "correo.toml:2: log-level: unknown log level loud: use trace, debug, info, notice, warning, error or critical"
        )
        #expect(
            Self.error("imap-port = 70000\n", in: folder)
                == "correo.toml:1: imap-port: --imap-port 70000 is not a port (0 turns it off, else 1–65535)"
        )
        #expect(Self.error("user = \"correo\"\ngroup = \"mail\"\n", in: folder) == nil)
        #expect(Self.error("group = \"mail\"\n", in: folder) == "correo.toml:1: group: --group needs --user")
        let syntax = try #require(Self.error("smtp-port = 25\nbind = \"127.0.0.1\n", in: folder))
        #expect(syntax.hasPrefix("correo.toml:2: "), "\(syntax)")
        let missing = folder.url.appendingPathComponent("nope.toml").path
        #expect(throws: ValidationError.self) { try Self.resolve(["--config", missing]) }
    }

    @Test("config show gives each key's value and source: flag, env, file or default")
    func showSources() throws {
        let folder = try TemporaryDirectory(prefix: "correo-config-show")
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("correo.toml").path
        try Data("# comment\nlog-level = \"debug\"\nsmtp-port = 2000\nimap-port = 2001\n".utf8).write(
            to: URL(fileURLWithPath: file)
        )
        let arguments = ["--config", file, "--smtp-port=4000", "-d", "flag.example"]
        let rows = try ConfigShow.rows(
            ServeOptions.parse(arguments),
            arguments: arguments,
            environment: ["CORREO_IMAP_PORT": "3000"]
        )
        let byKey = Dictionary(uniqueKeysWithValues: rows.map { ($0.key.name, ($0.value, $0.source)) })
        #expect(rows.count == ConfigKey.all.count)
        #expect(byKey["smtp-port"]! == ("4000", .flag))
        #expect(byKey["domain"]! == ("flag.example", .flag))
        #expect(byKey["imap-port"]! == ("3000", .environment("CORREO_IMAP_PORT")))
        #expect(byKey["log-level"]! == ("debug", .file(file, 2)))
        #expect(byKey["submission-port"]! == ("2587", .default))
        #expect(byKey["inbound-auth-checks"]! == ("true", .default))
        let text = try ConfigShow.report(ServeOptions.parse(arguments), arguments: arguments, environment: [:])
        #expect(text.contains("log-level"))
        #expect(text.split(separator: "\n").count == ConfigKey.all.count)
    }

    @Test("config show --for smtpd|imapd gives their values, defaults and the keys they do not use")
    func showForSMTPDAndIMAPD() throws {
        let folder = try TemporaryDirectory(prefix: "correo-config-show-for")
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("correo.toml").path
        try Data("smtp-port = 2000\nimap-port = 2001\nrelay-host = \"smtp.example.net\"\n".utf8).write(
            to: URL(fileURLWithPath: file)
        )
        let own = ["--config", file]
        let environment = ["CORREO_LOG_LEVEL": "debug"]
        func byKey(_ command: some ServerCommand) throws -> [String: (String, ConfigShow.Source)] {
            let rows = try ConfigShow.rows(command, arguments: own, environment: environment)
            #expect(rows.count == ConfigKey.all.count)
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.key.name, ($0.value, $0.source)) })
        }
        let smtpd = try byKey(SMTPD.parse(own))
        #expect(smtpd["smtp-port"]! == ("2000", .file(file, 1)))
        #expect(smtpd["submission-port"]! == ("0", .default))
        #expect(smtpd["accept-unknown-recipients"]! == ("true", .default))
        #expect(smtpd["inbound-auth-checks"]! == ("false", .default))
        #expect(smtpd["relay-host"]! == ("smtp.example.net", .file(file, 3)))
        #expect(smtpd["log-level"]! == ("debug", .environment("CORREO_LOG_LEVEL")))
        #expect(smtpd["imap-port"]!.1 == .unused)
        #expect(smtpd["https-port"]!.1 == .unused)

        let imapd = try byKey(IMAPD.parse(own))
        #expect(imapd["imap-port"]! == ("2001", .file(file, 2)))
        #expect(imapd["imaps-port"]! == ("0", .default))
        #expect(imapd["smtp-port"]!.1 == .unused)
        #expect(imapd["relay-host"]!.1 == .unused)
        #expect(imapd["storage"]!.1 == .default)

        // Through the command: serve's flags are refused for smtpd, which config show cannot apply.
        let text = try ConfigShow.report(for: .smtpd, ServeOptions.parse(own), arguments: own, environment: [:])
        #expect(text.contains("not used by this command"))
        let withFlag = own + ["--smtp-port", "25"]
        #expect(throws: ValidationError.self) {
            try ConfigShow.report(for: .imapd, ServeOptions.parse(withFlag), arguments: withFlag, environment: [:])
        }
    }
}

/// `correo config check` and `correo serve --config` as a person runs them.
@Suite(.offThePool) struct ConfigCommandTests {
    @Test("config check exits 0 on a good file and 64 with file:line: key on a bad one; serve refuses it too")
    func checkExitStatus() throws {
        let folder = try TemporaryDirectory(prefix: "correo-config-check")
        defer { folder.remove() }
        let good = folder.url.appendingPathComponent("good.toml").path
        let bad = folder.url.appendingPathComponent("bad.toml").path
        try Data("domain = [\"example.org\"]\nsmtp-port = 2525\n".utf8).write(to: URL(fileURLWithPath: good))
        try Data("domain = [\"example.org\"]\nsmtp-prot = 2525\n".utf8).write(to: URL(fileURLWithPath: bad))

        let ok = try CorreoBinary.run(["config", "check", "--config", good])
        #expect(ok.status == 0, "\(ok.standardError)")
        #expect(ok.standardOutput.contains("\(good): OK, 2 settings"))
        let viaEnvironment = try CorreoBinary.run(["config", "check"], environment: ["CORREO_CONFIG": good])
        #expect(viaEnvironment.status == 0, "\(viaEnvironment.standardError)")

        let refused = try CorreoBinary.run(["config", "check", "--config", bad])
        #expect(refused.status == 64)
        #expect(
            refused.standardError.contains("\(bad):2: smtp-prot: unknown key (did you mean smtp-port?)"),
            "\(refused.standardError)"
        )
        let serve = try CorreoBinary.run([
            "serve", "--config", bad, "-s", folder.url.appendingPathComponent("mail").path,
        ])
        #expect(serve.status == 64)
        #expect(serve.standardError.contains("\(bad):2: smtp-prot"), "\(serve.standardError)")

        let none = try CorreoBinary.run(["config", "check"], environment: ["CORREO_CONFIG": ""])
        #expect(none.status == 64)
        #expect(none.standardError.contains("give --config FILE or set CORREO_CONFIG"))

        let show = try CorreoBinary.run(["config", "show", "--config", good, "--imap-port", "1144"])
        #expect(show.status == 0, "\(show.standardError)")
        let lines = show.standardOutput.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("imap-port ") && $0.contains("1144") && $0.hasSuffix("flag") })
        #expect(lines.contains { $0.hasPrefix("smtp-port ") && $0.hasSuffix("file (\(good):2)") })
        #expect(lines.contains { $0.hasPrefix("bind ") && $0.contains("0.0.0.0") && $0.hasSuffix("default") })
    }
}

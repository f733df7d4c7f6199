import ArgumentParser
import Foundation
import Logging
import MailCore
import MailMerge
import SMTPClient
import SMTPCore

/// `correo send`: one personalised message per CSV row, the original client's flags kept.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one personalised message per row of a CSV list (a dry run unless --send).",
        // -h is the host, as in the original tool; help stays on --help.
        helpNames: [.long]
    )

    @Option(
        name: [.customShort("c"), .customLong("csv")],
        help: "The list: name,email rows, or a header row naming the columns; comma, semicolon or tab separated."
    )
    var csv: String

    @Option(name: [.customShort("e"), .customLong("from")], help: "The From address.")
    var from: String

    @Option(name: [.customShort("n"), .customLong("from-name")], help: "The From display name.")
    var fromName: String?

    @Option(name: [.customShort("h"), .customLong("host")], help: "The SMTP server. [default localhost]")
    var host: String = "localhost"

    @Option(
        name: [.customShort("p"), .customLong("port")],
        help: "The SMTP port. [default 587, 465 with --tls implicit]"
    )
    var port: Int?

    @Option(name: [.customShort("s"), .customLong("subject")], help: "The subject; {{name}} and $name are filled in.")
    var subject: String?

    @Option(
        name: [.customShort("m"), .customLong("message")],
        help: """
            The body template file ({{column}} or $name placeholders); header lines on top (To, Subject, Cc, \
            ATTACHMENT: FILE, Content-Type: text/markdown or text/html) as the mailmerge tool's.
            """
    )
    var message: String

    @Option(name: [.customShort("a"), .customLong("attach")], help: "A file to attach; repeatable.")
    var attach: [String] = []

    @Option(help: "An HTML body template; with -m, both go as multipart/alternative.")
    var html: String?

    @Option(
        help: """
            starttls (required), implicit, or none (plain text, with a warning). [default starttls; for this \
            machine (localhost, 127.0.0.0/8, ::1) STARTTLS when offered]
            """
    )
    var tls: TLSChoice?

    @Option(help: "The user name for SMTP AUTH.")
    var user: String?

    @Option(help: "A file holding the AUTH password (or set CORREO_SMTP_PASSWORD).")
    var passwordFile: String?

    @Option(help: "Trust the certificates in this PEM file (for a self-signed server).")
    var cafile: String?

    @Flag(help: "Do not verify the server's certificate (test servers only).")
    var insecure = false

    @Flag(name: [.customLong("send"), .customLong("no-dry-run")], help: "Really send (the default is a dry run).")
    var send = false

    @Option(help: "Send at most N messages.")
    var limit: Int?

    @Option(help: "Start at data row N (1-based), as printed by an interrupted run.")
    var resumeFrom: Int?

    @Option(help: "At most this many messages: N/min, N/s, N/h, or N (a minute).")
    var rate: String?

    @Option(help: "Write a per-recipient report: CSV, or JSON lines if the name ends in .jsonl or .json.")
    var report: String?

    @Option(
        help:
            "Connections used at once (1–\(MailMergeDefaults.maximumConnections)). [default \(MailMergeDefaults.connections)]"
    )
    var connections: Int = MailMergeDefaults.connections

    typealias TLSChoice = SendSecurity.Choice

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let resumeFrom, resumeFrom < 1 { throw ValidationError("--resume-from must be at least 1") }
        guard (1...MailMergeDefaults.maximumConnections).contains(connections) else {
            throw ValidationError("--connections must be between 1 and \(MailMergeDefaults.maximumConnections)")
        }
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535") }
        if cafile != nil && insecure { throw ValidationError("--cafile and --insecure do not go together") }
        if let rate { _ = try Self.parseRate(rate) }
        if let problem = RecipientAddress.problem(with: from) {
            throw ValidationError("the From address (-e) \"\(from)\" is not valid: \(problem)")
        }
        if send, user != nil, passwordFile == nil, ProcessInfo.processInfo.environment["CORREO_SMTP_PASSWORD"] == nil,
            isatty(STDIN_FILENO) != 1
        {
            throw ValidationError(Self.noPassword)
        }
    }

    static let noPassword =
        "--user needs --password-file FILE or the CORREO_SMTP_PASSWORD environment variable "
        + "(or a terminal on standard input, to type it)"

    func run() async throws {
        let plan: MergePlan
        do {
            let list = try MergeList(contentsOf: csv)
            let template = try MergeTemplate(bodyFile: message, htmlFile: html, columns: list.columns)
            var attachments: [Attachment] = []
            for path in attach {
                guard FileManager.default.fileExists(atPath: path) else {
                    throw SendFailure("cannot read the attachment \(path): no such file", status: Self.exitNoInput)
                }
                do {
                    attachments.append(try Attachment(contentsOfFile: path))
                } catch {
                    throw SendFailure(
                        "cannot read the attachment \(path): \((error as NSError).localizedDescription)",
                        status: Self.exitNoInput
                    )
                }
            }
            let settings = MergeSettings(
                fromAddress: from,
                fromName: fromName,
                subject: subject,
                attachments: attachments,
                limit: limit,
                resumeFrom: resumeFrom ?? 1
            )
            plan = try MergePlan(list: list, template: template, settings: settings)
        } catch let failure as SendFailure {
            throw failure.exit()
        } catch let failure as MergeList.Failure {
            throw SendFailure(failure.description, status: Self.status(for: failure)).exit()
        } catch let failure as MergeTemplate.Failure {
            if case .unreadable = failure { throw SendFailure(failure.description, status: Self.exitNoInput).exit() }
            throw SendFailure(failure.description, status: Self.exitDataError).exit()
        } catch let failure as MergePlan.Failure {
            // A bad -e is a bad argument; a bad template is bad data.
            if case .invalidSender = failure { throw ValidationError(failure.description) }
            let text = failure.description
            throw SendFailure(
                text + (text.hasSuffix("?") ? "" : ".") + " Nothing was sent.",
                status: Self.exitDataError
            )
            .exit()
        }

        let rows = plan.rows
        let messages = rows.filter { if case .message = $0 { true } else { false } }.count
        for case .invalid(let row, let reason) in rows {
            printError("row \(row.number): \(row.address.isEmpty ? "(no address)" : row.address): \(reason); not sent")
        }
        let port = self.port ?? (tls == .implicit ? 465 : 587)
        guard send else {
            try dryRun(plan: plan, rows: rows, messages: messages, port: port)
            return
        }
        // A row whose ATTACHMENT file is missing would fail halfway through the run: stop before the first.
        let missing = plan.attachmentProblems(in: rows)
        if !missing.isEmpty {
            for (row, reason) in missing { printError("row \(row): \(reason)") }
            throw SendFailure(
                "\(missing.count) row\(missing.count == 1 ? " names an attachment" : "s name attachments") that "
                    + "cannot be read. Nothing was sent.",
                status: Self.exitDataError
            ).exit()
        }
        try await sendAll(plan: plan, rows: rows, port: port)
    }

    /// sysexits(3) statuses used here: bad data (a list or template), a file that cannot be read.
    static let exitDataError: Int32 = 65
    static let exitNoInput: Int32 = 66
    static let exitIOError: Int32 = 74

    static func status(for failure: MergeList.Failure) -> Int32 {
        switch failure {
        case .unreadable: exitNoInput
        case .notUTF8, .malformed, .empty, .tooLarge: exitDataError
        }
    }

    /// Builds every row's message as `--send` would, prints the first, and says what would happen; rows
    /// that could not be sent make the exit status EX_DATAERR (65), so a script can check a list first.
    private func dryRun(plan: MergePlan, rows: [PlannedRow], messages: Int, port: Int) throws {
        var shown = false
        var buildable = 0
        for case .message(let row) in rows {
            let message: PreparedMessage
            do {
                message = try plan.message(for: row)
            } catch {
                printError("row \(row.number): \(row.address): \(error.reason); not sent")
                continue
            }
            buildable += 1
            guard !shown else { continue }
            do {
                try FileHandle.standardOutput.write(contentsOf: Data(message.bytes))
            } catch {
                throw SendFailure(
                    "cannot write the message to standard output: \(operatingSystemReason(error))",
                    status: Self.exitIOError
                ).exit()
            }
            printError("")
            printError(
                "Dry run: above is the message for row \(row.number) (\(row.address)) exactly as it would go out."
            )
            shown = true
        }
        let unsendable = rows.count - buildable
        printError(
            "Dry run: \(buildable) message\(buildable == 1 ? "" : "s") would be sent to \(host):\(port)"
                + (unsendable > 0
                    ? ", \(unsendable) row\(unsendable == 1 ? "" : "s") could not be sent (above)"
                    : "")
                + ". Add --send to send \(buildable == 1 ? "it" : "them")."
        )
        if unsendable > 0 { throw ExitCode(Self.exitDataError) }
    }

    private func sendAll(plan: MergePlan, rows: [PlannedRow], port: Int) async throws {
        var credentials: SMTPCredentials?
        if let user {
            credentials = SMTPCredentials(username: user, password: try password())
        }
        let security = SendSecurity(host: host, tls: tls, cafile: cafile, insecure: insecure)
        if let notice = security.notice(hasCredentials: credentials != nil) { printError(notice) }
        let server = SMTPServerSettings(
            host: host,
            port: port,
            tls: security.mode,
            trust: security.trust,
            credentials: credentials,
            allowsAuthenticationWithoutTLS: tls == SendSecurity.Choice.none
        )
        var policy = SendingPolicy()
        policy.connections = connections
        policy.ratePerMinute = try rate.map(Self.parseRate)

        let reportWriter: MergeReportWriter?
        do {
            reportWriter = try report.map { try MergeReportWriter(path: $0) }
        } catch {
            throw SendFailure("\(error)", status: 73).exit()
        }
        let progress = MergeProgress(total: rows.count, isTerminal: isatty(STDERR_FILENO) == 1)
        let stop = StopRequest()
        let interrupt = Self.installInterruptHandler(stop)
        defer { interrupt.cancel() }

        var logger = Logger(label: "correo.send")
        logger.logLevel = .warning
        let sender = MergeSender(plan: plan, server: server, policy: policy, logger: logger)
        let summary = await sender.run(stop: stop) { outcome in
            reportWriter?.record(outcome)
            // Going on without the record of what was sent would leave the user guessing what to resend.
            if reportWriter?.failure != nil { stop.request() }
            progress.record(outcome)
            if outcome.status == .failed {
                printError("row \(outcome.row): \(outcome.address): failed: \(outcome.reply)")
            }
        }
        if stop.isRequested { progress.finish() }
        let rate = summary.seconds > 0 ? Double(summary.sent) / summary.seconds : 0
        print(
            "Sent \(summary.sent), failed \(summary.failed), skipped \(summary.skipped) "
                + "in \(String(format: "%.1f", summary.seconds)) s (\(String(format: "%.1f", rate)) messages/s)."
        )
        if let reason = summary.abortedBecause {
            // The server could not be used at all: one sentence on what failed and what to do, no library
            // internals, and no "resume" as if the user had pressed Ctrl-C when nothing went out.
            if case .cannotConnect = reason {
                printError("correo send: \(reason).")  // it names the host and port already
            } else {
                printError("correo send: \(host):\(port): \(reason).")
            }
            if let advice = SendSecurity.advice(for: reason, port: port) { printError(advice) }
            if summary.sent == 0 {
                printError("Nothing was sent.")
            } else if let next = summary.resumeFrom {
                printError(
                    "\(summary.sent) message\(summary.sent == 1 ? " was" : "s were") sent before that; once it is "
                        + "fixed, run the same command with --resume-from \(next) to send the rest."
                )
            }
            throw ExitCode(SendSecurity.exitStatus(for: reason))
        }
        if let failure = reportWriter?.failure {
            printError("correo send: \(failure); stopped, and the report lacks the rows done after that.")
            if let next = summary.resumeFrom {
                printError("Once that is mended, run the same command with --resume-from \(next) to send the rest.")
            }
            throw ExitCode(Self.exitIOError)
        }
        if stop.isRequested, let next = summary.resumeFrom {
            print("Stopped. To continue, run the same command with --resume-from \(next)")
            throw ExitCode(130)
        }
        if summary.failed > 0 { throw ExitCode(1) }
        // Rows left out for bad data (an address, an ATTACHMENT), as the dry run would have said.
        if summary.skipped > 0 { throw ExitCode(Self.exitDataError) }
    }

    private func password() throws -> String {
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile),
                let text = String(data: data, encoding: .utf8)
            else { throw SendFailure("cannot read the password file \(passwordFile)", status: Self.exitNoInput).exit() }
            // The first line is the password; a trailing newline is not part of it.
            return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        }
        if let password = ProcessInfo.processInfo.environment["CORREO_SMTP_PASSWORD"] { return password }
        if let typed = TerminalPassword.read(prompt: "Password for \(user ?? "") at \(host): ") { return typed }
        throw ValidationError(Self.noPassword)
    }

    /// `N/min`, `N/s`, `N/h` or `N` (a minute) as messages a minute.
    static func parseRate(_ text: String) throws -> Double {
        let parts = text.lowercased().split(separator: "/", maxSplits: 1).map(String.init)
        guard let count = parts.first.flatMap(Double.init), count > 0 else {
            throw ValidationError("--rate takes N/min, N/s or N/h, like 120/min")
        }
        switch parts.count == 2 ? parts[1] : "min" {
        case "s", "sec", "second": return count * 60
        case "m", "min", "minute": return count
        case "h", "hour": return count / 60
        default: throw ValidationError("--rate takes N/min, N/s or N/h, like 120/min")
        }
    }

    /// The first Ctrl-C stops after the messages in flight; a second one quits at once.
    static func installInterruptHandler(_ stop: StopRequest) -> any DispatchSourceSignal {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            if stop.isRequested { Glibc.exit(130) }
            stop.request()
            printError("\nStopping after the messages in flight (Ctrl-C again to quit now)…")
        }
        source.resume()
        return source
    }
}

/// A failure the user can act on, with its sysexits(3) status.
struct SendFailure: Error, CustomStringConvertible {
    var description: String
    var status: Int32
    init(_ description: String, status: Int32 = 1) {
        self.description = description
        self.status = status
    }

    /// Prints "correo send: …" and gives the exit to throw.
    func exit() -> ExitCode {
        printError("correo send: \(description)")
        return ExitCode(status)
    }
}

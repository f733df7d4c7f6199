import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15: `correo send` run as a user runs it, against a real SMTP sink (aiosmtpd): a misspelt column
/// stops everything, ATTACHMENT headers and Markdown bodies go out as MIME parts, a semicolon list is read
/// as one, broken CSV names its line, a dry run with unsendable rows exits 65, and the password is asked
/// for on a terminal without echo.
@Suite(.offThePool) struct SendMergeTests {
    static func write(_ text: String, _ name: String, in directory: TemporaryDirectory) throws {
        let url = directory.url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    static func sink(
        _ directory: TemporaryDirectory,
        tls: TestTLS? = nil,
        auth: (String, String)? = nil
    ) throws -> SMTPSink {
        let outdir = directory.url.appendingPathComponent("received")
        try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
        return try SMTPSink(outdir: outdir, tls: tls, auth: auth)
    }

    static func send(_ arguments: [String], port: Int, in directory: TemporaryDirectory) throws -> CorreoBinary.Result {
        try CorreoBinary.run(
            ["send", "-e", "me@example.com", "-h", "127.0.0.1", "-p", String(port), "--tls", "none"] + arguments,
            currentDirectory: directory.url
        )
    }

    @Test func aMisspeltColumnStopsBeforeAnythingIsSent() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try Self.sink(directory)
            defer { sink.stop() }
            try Self.write("name,email\nAnn,ann@example.org\nBo,bo@example.org\n", "list.csv", in: directory)
            try Self.write("Subject: Hello\n\nDear {{naem}},\nbye\n", "letter.txt", in: directory)
            for mode in [["--send"], []] {
                let run = try Self.send(["-c", "list.csv", "-m", "letter.txt"] + mode, port: sink.port, in: directory)
                #expect(run.status == 65, "\(run.standardError)")
                #expect(
                    run.standardError.contains(
                        "correo send: row 1: letter.txt line 3: {{naem}} names no column of the list "
                            + "(its columns: name, email); did you mean {{name}}? Nothing was sent."
                    ),
                    "\(run.standardError)"
                )
                #expect(run.standardOutput.isEmpty)
            }
            #expect(sink.messageFiles.isEmpty)
            // A broken template: words with line and column, no parser record.
            try Self.write("Subject: Hello\n\nDear {{#name}} x\n", "broken.txt", in: directory)
            let broken = try Self.send(["-c", "list.csv", "-m", "broken.txt"], port: sink.port, in: directory)
            #expect(broken.status == 65)
            #expect(
                broken.standardError.contains(
                    "correo send: broken.txt line 3, column 6: {{#name}} opens a section that is never closed"
                ),
                "\(broken.standardError)"
            )
            #expect(!broken.standardError.contains("MustacheParserContext"))
        }
    }

    @Test func attachmentHeadersMarkdownAndASemicolonListGoOutAsMIMEParts() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try Self.sink(directory)
            defer { sink.stop() }
            let pdf = Data("%PDF-1.4\n".utf8) + Data((0..<600).map { UInt8(($0 * 13) % 256) })
            try FileManager.default.createDirectory(
                atPath: directory.path + "/campaign/invoices",
                withIntermediateDirectories: true
            )
            try pdf.write(to: URL(fileURLWithPath: directory.path + "/campaign/invoices/ann.pdf"))
            try Data("bo's invoice\n".utf8).write(
                to: URL(fileURLWithPath: directory.path + "/campaign/invoices/bo.pdf")
            )
            try Self.write(
                "email;name;invoice;manager\nann@example.org;Ann Lee;ann.pdf;boss@example.org\n"
                    + "bo@example.org;Bo;bo.pdf;chief@example.org\n",
                "list.csv",
                in: directory
            )
            try Self.write(
                """
                TO: {{name}} <{{email}}>
                CC: {{manager}}
                SUBJECT: Invoice for {{name}}
                ATTACHMENT: invoices/{{invoice}}
                CONTENT-TYPE: text/markdown

                Dear **{{name}}**,

                - your invoice is attached
                - questions? [write to us](mailto:help@example.com)

                """,
                "campaign/letter.md",
                in: directory
            )
            // From another folder: ATTACHMENT paths are relative to the template, not to the working directory.
            let run = try Self.send(
                ["-c", "list.csv", "-m", "campaign/letter.md", "--send"],
                port: sink.port,
                in: directory
            )
            #expect(run.status == 0, "\(run.standardError)")
            #expect(run.standardOutput.contains("Sent 2, failed 0, skipped 0"), "\(run.standardOutput)")
            let ann = String(decoding: sink.messages(for: "ann@example.org").first ?? Data(), as: UTF8.self)
            #expect(!ann.isEmpty)
            #expect(sink.messages(for: "boss@example.org").count == 1)
            #expect(sink.messages(for: "chief@example.org").count == 1)
            let unfolded = ann.replacingOccurrences(of: "\r\n ", with: " ")
            #expect(unfolded.contains("Subject: Invoice for Ann Lee\r\n"))
            #expect(unfolded.contains("Cc: boss@example.org\r\n"))
            #expect(!unfolded.lowercased().contains("attachment: invoices"))
            #expect(!unfolded.contains("text/markdown"))
            #expect(unfolded.contains("multipart/mixed"))
            #expect(unfolded.contains("multipart/alternative"))
            #expect(unfolded.contains("Content-Disposition: attachment; filename=ann.pdf\r\n"))
            #expect(
                ann.contains(
                    pdf.base64EncodedString(options: [
                        .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
                    ])
                )
            )
            #expect(ann.contains("Dear **Ann Lee**,"))
            // The HTML part may be quoted-printable or base64; decode whichever it is.
            #expect(Self.decodedParts(of: ann).contains { $0.contains("<strong>Ann Lee</strong>") }, "\(ann)")
            let bo = String(decoding: sink.messages(for: "bo@example.org").first ?? Data(), as: UTF8.self)
            #expect(bo.replacingOccurrences(of: "\r\n ", with: " ").contains("filename=bo.pdf"))
        }
    }

    /// Base64 bodies of a message's parts, decoded, and the raw text for other encodings.
    static func decodedParts(of message: String) -> [String] {
        message.components(separatedBy: "\r\n\r\n").map { chunk in
            let joined = chunk.components(separatedBy: "\r\n").prefix { !$0.hasPrefix("--") }.joined()
            if let data = Data(base64Encoded: joined) { return String(decoding: data, as: UTF8.self) }
            return chunk.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
        }
    }

    @Test func brokenCSVNamesTheLineAndADryRunWithBadRowsExits65() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try Self.sink(directory)
            defer { sink.stop() }
            try Self.write("Hi {{name}}\n", "body.txt", in: directory)
            try Self.write(
                "name,email\nAnn,ann@example.org\n\"Bo,bo@example.org\nCy,cy@example.org\n",
                "quote.csv",
                in: directory
            )
            let quote = try Self.send(["-c", "quote.csv", "-m", "body.txt", "--send"], port: sink.port, in: directory)
            #expect(quote.status == 65)
            #expect(
                quote.standardError.contains(
                    "correo send: the list quote.csv is not valid CSV: line 3: a quoted field starts here and its "
                        + "closing quote never comes"
                ),
                "\(quote.standardError)"
            )
            #expect(!quote.standardError.contains("address"))
            #expect(sink.messageFiles.isEmpty)

            try Self.write("Ann,ann@example.org\nNobody,nobody\nEmpty,\nBo,bo@example.org\n", "bad.csv", in: directory)
            let dry = try Self.send(["-c", "bad.csv", "-m", "body.txt"], port: sink.port, in: directory)
            #expect(dry.status == 65, "\(dry.standardError)")
            #expect(dry.standardError.contains("row 2: nobody: the address has no @; not sent"))
            #expect(dry.standardError.contains("row 3: (no address): the address is empty; not sent"))
            #expect(
                dry.standardError.contains(
                    "Dry run: 2 messages would be sent to 127.0.0.1:\(sink.port), 2 rows could not be sent (above)."
                ),
                "\(dry.standardError)"
            )
            #expect(sink.messageFiles.isEmpty)
            // Sent for real, the good rows go and the status still says the list had bad rows.
            let real = try Self.send(["-c", "bad.csv", "-m", "body.txt", "--send"], port: sink.port, in: directory)
            #expect(real.status == 65, "\(real.standardError)")
            #expect(real.standardOutput.contains("Sent 2, failed 0, skipped 2"), "\(real.standardOutput)")
            #expect(sink.messageFiles.sorted() == ["ann@example.org.eml", "bo@example.org.eml"])

            try Self.write("Ann,ann@example.org\n", "good.csv", in: directory)
            let good = try Self.send(["-c", "good.csv", "-m", "body.txt"], port: sink.port, in: directory)
            #expect(good.status == 0, "\(good.standardError)")
            // Bad usage is EX_USAGE.
            let usage = try Self.send(
                ["-c", "good.csv", "-m", "body.txt", "--limit", "0"],
                port: sink.port,
                in: directory
            )
            #expect(usage.status == 64)
            // A bad From is bad usage too, with the usage line of `correo send`, not of `correo`.
            let from = try CorreoBinary.run(
                ["send", "-c", "good.csv", "-m", "body.txt", "-e", "me"],
                currentDirectory: directory.url
            )
            #expect(from.status == 64)
            #expect(from.standardError.contains("the From address (-e) \"me\" is not valid: the address has no @"))
            #expect(from.standardError.contains("Usage: correo send "), "\(from.standardError)")
            let missingAttachment = try Self.send(
                ["-c", "good.csv", "-m", "body.txt", "-a", "nope.pdf"],
                port: sink.port,
                in: directory
            )
            #expect(missingAttachment.status == 66)
            #expect(
                missingAttachment.standardError.contains(
                    "correo send: cannot read the attachment nope.pdf: no such file"
                )
            )
            let missingList = try Self.send(["-c", "nope.csv", "-m", "body.txt"], port: sink.port, in: directory)
            #expect(missingList.status == 66)
            #expect(missingList.standardError.contains("correo send: cannot read the list nope.csv: no such file"))
        }
    }

    @Test func aRowsMissingAttachmentStopsTheRunBeforeTheFirstMessage() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try Self.sink(directory)
            defer { sink.stop() }
            try Self.write("a", "a.txt", in: directory)
            try Self.write("email,file\nann@example.org,a.txt\nbo@example.org,b.txt\n", "list.csv", in: directory)
            try Self.write("Subject: x\nATTACHMENT: {{file}}\n\nhi\n", "body.txt", in: directory)
            let run = try Self.send(["-c", "list.csv", "-m", "body.txt", "--send"], port: sink.port, in: directory)
            #expect(run.status == 65)
            #expect(run.standardError.contains("row 2: attachment not found: "), "\(run.standardError)")
            #expect(run.standardError.contains("/b.txt (ATTACHMENT header, body.txt line 2)"))
            #expect(run.standardError.contains("1 row names an attachment that cannot be read. Nothing was sent."))
            #expect(sink.messageFiles.isEmpty)
        }
    }

    /// The password typed on a pseudo-terminal: the prompt on standard error, nothing echoed back, the
    /// message accepted by a sink that requires that password.
    @Test(.timeLimit(.minutes(5)))
    func thePasswordIsAskedForOnATerminalWithoutEcho() async throws {
        try await TemporaryDirectory.with { directory in
            let tls = try TestTLS.make(in: directory)
            let sink = try Self.sink(directory, tls: tls, auth: ("me", "s3cret-pw"))
            defer { sink.stop() }
            try Self.write("Ann,ann@example.org\n", "list.csv", in: directory)
            try Self.write("Hi {{name}}\n", "body.txt", in: directory)
            let terminal = try PseudoTerminal()
            defer { terminal.close() }
            let (process, stdout, stderr) = try terminal.run(
                [
                    "send", "-c", "list.csv", "-m", "body.txt", "-e", "me@example.com", "-h", "127.0.0.1", "-p",
                    String(sink.port), "--user", "me", "--cafile", tls.certificatePath, "-s", "Hi", "--send",
                ],
                in: directory
            )
            let prompted = try await waitUntil(seconds: 120) { stderr.text.contains("Password for me at 127.0.0.1: ") }
            #expect(prompted, "\(stderr.text)")
            terminal.write("s3cret-pw\n")
            // Generous: a debug build's TLS handshake on a loaded 2-core machine took over 30 s once.
            let ended = try await waitUntil(seconds: 150) { !process.isRunning }
            if !ended { process.terminate() }
            #expect(ended)
            // Not the pipes' end of file: a child another test starts at the same moment can inherit
            // their write ends (Foundation's pipes are not close-on-exec) and keep them open long after
            // correo exited (seen: past 150 s in a full run). What correo wrote is waited for instead.
            _ = try await waitUntil(seconds: 30) { stdout.text.contains("Sent 1, failed 0") }
            #expect(process.terminationStatus == 0, "\(stderr.text)")
            #expect(stdout.text.contains("Sent 1, failed 0"), "\(stdout.text)")
            #expect(sink.messages(for: "ann@example.org").count == 1)
            let echoed = terminal.readAvailable()
            #expect(!echoed.contains("s3cret"), "echoed: \(echoed)")
            #expect(!stderr.text.contains("s3cret") && !stdout.text.contains("s3cret"))
            // Echo is on again once the password is read.
            #expect(terminal.echoIsOn)
        }
    }
}

extension SendMergeTests {
    /// Ctrl-C at the prompt: the terminal gets its echo back and the run ends with 130, nothing sent.
    @Test(.timeLimit(.minutes(5)))
    func ctrlCAtThePasswordPromptPutsTheEchoBack() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try Self.sink(directory)
            defer { sink.stop() }
            try Self.write("Ann,ann@example.org\n", "list.csv", in: directory)
            try Self.write("Hi\n", "body.txt", in: directory)
            let terminal = try PseudoTerminal()
            defer { terminal.close() }
            let (process, _, stderr) = try terminal.run(
                [
                    "send", "-c", "list.csv", "-m", "body.txt", "-e", "me@example.com", "-h", "127.0.0.1", "-p",
                    String(sink.port), "--tls", "none", "--user", "me", "-s", "Hi", "--send",
                ],
                in: directory
            )
            let prompted = try await waitUntil(seconds: 120) { stderr.text.contains("Password for me at 127.0.0.1: ") }
            #expect(prompted, "\(stderr.text)")
            #expect(!terminal.echoIsOn)
            kill(process.processIdentifier, SIGINT)
            let ended = try await waitUntil(seconds: 120) { !process.isRunning }
            if !ended { process.terminate() }
            #expect(ended)
            #expect(process.terminationStatus == 130)
            #expect(terminal.echoIsOn)
            #expect(sink.messageFiles.isEmpty)
        }
    }
}

/// A pseudo-terminal pair from /dev/ptmx: the child gets the secondary side as its standard input.
/// (Glibc's `posix_openpt` and `ptsname` are not visible to Swift, so their two ioctls are made here.)
final class PseudoTerminal: @unchecked Sendable {
    let primary: Int32
    let secondary: Int32

    struct Failure: Error {}

    init() throws {
        primary = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        // TIOCSPTLCK (_IOW('T', 0x31, int)) unlocks the secondary; TIOCGPTN (_IOR('T', 0x30, unsigned)) names it.
        guard primary >= 0, ioctl(primary, 0x4004_5431, &unlock) == 0, ioctl(primary, 0x8004_5430, &number) == 0
        else { throw Failure() }
        secondary = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard secondary >= 0 else { throw Failure() }
        _ = fcntl(primary, F_SETFL, fcntl(primary, F_GETFL) | O_NONBLOCK)
    }

    /// Starts `correo ARGUMENTS` in `directory` with this terminal as its standard input and no password in
    /// its environment; its standard output and error are collected.
    func run(
        _ arguments: [String],
        in directory: TemporaryDirectory
    ) throws
        -> (process: SpawnedProcess, output: OutputCollector, errors: OutputCollector)
    {
        let process = SpawnedProcess()
        process.executableURL = CorreoBinary.url
        process.arguments = arguments
        process.currentDirectoryURL = directory.url
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "CORREO_SMTP_PASSWORD")
        process.environment = environment
        process.standardInput = FileHandle(fileDescriptor: secondary, closeOnDealloc: false)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let collected = (OutputCollector(output), OutputCollector(errors))
        try process.run()
        return (process, collected.0, collected.1)
    }

    /// Types `text` as a user would.
    func write(_ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(primary, $0.baseAddress, text.utf8.count) }
    }

    /// What the terminal has shown so far (its echo), without waiting.
    func readAvailable() -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        for _ in 0..<64 {
            let count = read(primary, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    var echoIsOn: Bool {
        var settings = termios()
        return tcgetattr(secondary, &settings) == 0 && settings.c_lflag & tcflag_t(ECHO) != 0
    }

    func close() {
        Glibc.close(secondary)
        Glibc.close(primary)
    }
}

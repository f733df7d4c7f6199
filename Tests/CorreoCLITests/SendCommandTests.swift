import Foundation
import MailMerge
import MailTestSupport
import Testing

/// `correo send` as a user runs it: the built binary as a subprocess.
@Suite(.offThePool) struct SendCommandTests {
    struct Run {
        var status: Int32
        var stdout: Data
        var stderr: String
        var output: String { String(decoding: stdout, as: UTF8.self) }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `correo`; its standard output goes to `standardOutput` when one is given (then `stdout` is empty).
    static func correo(
        _ arguments: [String],
        environment: [String: String] = [:],
        standardOutput: FileHandle? = nil
    ) throws -> Run {
        let process = SpawnedProcess()
        process.executableURL = packageRoot.appendingPathComponent(".build/debug/correo")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "CORREO_SMTP_PASSWORD")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        // Not the test runner's terminal: --user without a password would prompt on one.
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = standardOutput ?? out
        process.standardError = err
        try process.run()
        if standardOutput != nil { try out.fileHandleForWriting.close() }
        // Read both pipes to the end before waiting, so a full pipe cannot block the child.
        let errData = LockedData()
        let errThread = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errThread.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitForExit()
        while !errData.done { usleep(1000) }
        return Run(
            status: process.terminationStatus,
            stdout: stdout,
            stderr: String(decoding: errData.value, as: UTF8.self)
        )
    }

    final class LockedData: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        private var finished = false
        func set(_ data: Data) {
            lock.withLock {
                self.data = data
                finished = true
            }
        }
        var done: Bool { lock.withLock { finished } }
        var value: Data { lock.withLock { data } }
    }

    @Test func theOriginalExampleWorksVerbatimAsADryRun() async throws {
        try await TemporaryDirectory.with { directory in
            let pdf = Data("%PDF-1.4\n".utf8) + Data((0..<500).map { UInt8($0 % 256) })
            try "Ann Lee,ann@example.org\nBo,bo@example.org\n".write(
                to: directory.url.appendingPathComponent("list.csv"),
                atomically: true,
                encoding: .utf8
            )
            try "Hello $name,\nsee the file.\n".write(
                to: directory.url.appendingPathComponent("body.txt"),
                atomically: true,
                encoding: .utf8
            )
            try pdf.write(to: directory.url.appendingPathComponent("file.pdf"))
            let path = { (name: String) in directory.url.appendingPathComponent(name).path }
            let run = try Self.correo([
                "send", "-c", path("list.csv"), "-e", "me@example.com", "-n", "Me", "-h", "localhost", "-p", "2525",
                "-s", "Hello", "-m", path("body.txt"), "-a", path("file.pdf"),
            ])
            #expect(run.status == 0)
            #expect(
                run.output.contains(
                    "\r\nFrom: Me <me@example.com>\r\nTo: Ann Lee <ann@example.org>\r\nSubject: Hello\r\n"
                )
            )
            #expect(run.output.contains("Hello Ann Lee,\r\nsee the file.\r\n"))
            // Header folding is MailCore's choice; compare unfolded (RFC 5322 §2.2.3).
            #expect(
                run.output.replacingOccurrences(of: "\r\n ", with: " ").contains(
                    "Content-Disposition: attachment; filename=file.pdf\r\n"
                )
            )
            #expect(
                run.output.contains(
                    pdf.base64EncodedString(options: [
                        .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
                    ])
                )
            )
            #expect(
                run.stderr.contains("Dry run: 2 messages would be sent to localhost:2525. Add --send to send them.")
            )
        }
    }

    @Test func sendsOverSTARTTLSWithAuthAndWritesAJSONLinesReport() async throws {
        try await TemporaryDirectory.with { directory in
            let tls = try TestTLS.make(in: directory)
            let outdir = directory.url.appendingPathComponent("received")
            try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
            let sink = try SMTPSink(
                outdir: outdir,
                tls: tls,
                requireTLS: true,
                auth: ("me", "pw"),
                reject: ["gone@example.org": "550 5.1.1 <gone@example.org>: no such user"]
            )
            defer { sink.stop() }
            let path = { (name: String) in directory.url.appendingPathComponent(name).path }
            try "Ann,ann@example.org\nNobody,nobody\nGone,gone@example.org\nBo,bo@example.org\n".write(
                toFile: path("list.csv"),
                atomically: true,
                encoding: .utf8
            )
            try "Hi {{name}}\n".write(toFile: path("body.txt"), atomically: true, encoding: .utf8)
            try "pw\n".write(toFile: path("password"), atomically: true, encoding: .utf8)
            let run = try Self.correo([
                "send", "-c", path("list.csv"), "-e", "me@example.com", "-h", "127.0.0.1", "-p", "\(sink.port)",
                "-s", "Hi {{name}}", "-m", path("body.txt"), "--user", "me", "--password-file", path("password"),
                "--cafile", tls.certificatePath, "--send", "--report", path("report.jsonl"),
            ])
            #expect(run.status == 1)
            #expect(run.output.contains("Sent 2, failed 1, skipped 1"))
            #expect(run.stderr.contains("row 2: nobody: the address has no @; not sent"))
            #expect(run.stderr.contains("row 3: gone@example.org: failed: 550 5.1.1 <gone@example.org>: no such user"))
            #expect(
                String(decoding: sink.messages(for: "ann@example.org").first ?? Data(), as: UTF8.self).contains(
                    "Hi Ann"
                )
            )
            #expect(
                String(decoding: sink.messages(for: "bo@example.org").first ?? Data(), as: UTF8.self).contains("Hi Bo")
            )
            let report = try String(contentsOfFile: path("report.jsonl"), encoding: .utf8)
                .split(separator: "\n").compactMap {
                    try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
                }
            let statuses = Dictionary(
                uniqueKeysWithValues: report.map { ($0["row"] as? Int ?? 0, $0["status"] as? String ?? "") }
            )
            #expect(statuses == [1: "sent", 2: "skipped", 3: "failed", 4: "sent"])
            #expect(
                report.first { $0["row"] as? Int == 3 }?["reply"] as? String
                    == "550 5.1.1 <gone@example.org>: no such user"
            )
            #expect(
                (report.first { $0["row"] as? Int == 1 }?["message_id"] as? String)?.hasSuffix("@example.com>") == true
            )
        }
    }

    @Test func headerRowHTMLTwoAttachmentsLimitAndCSVReport() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(
                outdir: directory.url.appendingPathComponent("in", isDirectory: true).creatingDirectory()
            )
            defer { sink.stop() }
            let path = { (name: String) in directory.url.appendingPathComponent(name).path }
            try "email,first,city\nann@example.org,Ann,Quito\nbo@example.org,Bo,Lima\ncy@example.org,Cy,Cusco\n".write(
                toFile: path("list.csv"),
                atomically: true,
                encoding: .utf8
            )
            try "Subject: News for {{first}}\n\nHi {{first}} in {{city}}\n".write(
                toFile: path("body.txt"),
                atomically: true,
                encoding: .utf8
            )
            try "<p>Hi <b>{{first}}</b></p>".write(toFile: path("body.html"), atomically: true, encoding: .utf8)
            try "a,b\n1,2\n".write(toFile: path("data.csv"), atomically: true, encoding: .utf8)
            try Data([0x89, 0x50, 0x4E, 0x47, 0, 1, 2, 255]).write(to: URL(fileURLWithPath: path("logo.png")))
            let run = try Self.correo(
                [
                    "send", "-c", path("list.csv"), "-e", "me@example.com", "-h", "127.0.0.1", "-p", "\(sink.port)",
                    "-m", path("body.txt"), "--html", path("body.html"), "-a", path("data.csv"), "-a", path("logo.png"),
                    "--tls", "none", "--no-dry-run", "--limit", "2", "--report", path("report.csv"),
                ]
            )
            #expect(run.status == 0)
            #expect(run.stderr.contains("warning: --tls none"))
            // Not a terminal: plain progress lines.
            #expect(run.stderr.contains("progress: 2/2 rows, 2 sent, 0 failed, 0 skipped"))
            #expect(sink.messageFiles.sorted() == ["ann@example.org.eml", "bo@example.org.eml"])
            let message = String(decoding: sink.messages(for: "bo@example.org").first ?? Data(), as: UTF8.self)
            #expect(message.contains("Subject: News for Bo\r\n"))
            #expect(message.contains("multipart/alternative"))
            #expect(message.contains("<p>Hi <b>Bo</b></p>"))
            let unfolded = message.replacingOccurrences(of: "\r\n ", with: " ")
            #expect(unfolded.contains("Content-Disposition: attachment; filename=data.csv\r\n"))
            #expect(unfolded.contains("Content-Disposition: attachment; filename=logo.png\r\n"))
            let report = try String(contentsOfFile: path("report.csv"), encoding: .utf8)
            // Rows are written as they finish, so their order depends on the connections.
            let lines = report.components(separatedBy: "\r\n")
            #expect(lines.first == "row,address,status,reply,message_id")
            #expect(lines.contains { $0.hasPrefix("1,ann@example.org,sent,250 2.0.0 OK queued as sink-") })
            #expect(lines.contains { $0.hasPrefix("2,bo@example.org,sent,250 2.0.0 OK queued as sink-") })
            #expect(lines.filter { !$0.isEmpty }.count == 3)
        }
    }

    @Test func resumeFromSkipsEarlierRowsInTheDryRun() async throws {
        try await TemporaryDirectory.with { directory in
            let path = { (name: String) in directory.url.appendingPathComponent(name).path }
            try "A,a@example.org\nB,b@example.org\nC,c@example.org\n".write(
                toFile: path("list.csv"),
                atomically: true,
                encoding: .utf8
            )
            try "Hi $name\n".write(toFile: path("body.txt"), atomically: true, encoding: .utf8)
            let run = try Self.correo([
                "send", "-c", path("list.csv"), "-e", "me@example.com", "-m", path("body.txt"), "--resume-from", "3",
            ])
            #expect(run.status == 0)
            #expect(run.output.contains("To: C <c@example.org>"))
            #expect(run.stderr.contains("Dry run: 1 message would be sent to localhost:587"))
        }
    }

    @Test func wrongPasswordStopsTheRunAtTheFirstRow() async throws {
        try await TemporaryDirectory.with { directory in
            let tls = try TestTLS.make(in: directory)
            let sink = try SMTPSink(
                outdir: directory.url.appendingPathComponent("in").creatingDirectory(),
                tls: tls,
                auth: ("me", "right")
            )
            defer { sink.stop() }
            let path = { (name: String) in directory.url.appendingPathComponent(name).path }
            try (1...20).map { "P\($0),p\($0)@example.org" }.joined(separator: "\n").write(
                toFile: path("list.csv"),
                atomically: true,
                encoding: .utf8
            )
            try "Hi\n".write(toFile: path("body.txt"), atomically: true, encoding: .utf8)
            let run = try Self.correo(
                [
                    "send", "-c", path("list.csv"), "-e", "me@example.com", "-h", "127.0.0.1", "-p", "\(sink.port)",
                    "-m", path("body.txt"), "--user", "me", "--cafile", tls.certificatePath, "--send",
                ],
                environment: ["CORREO_SMTP_PASSWORD": "wrong"]
            )
            // EX_NOPERM; nothing went out, so no "resume" as if the user had interrupted the run (issue 19).
            #expect(run.status == 77)
            #expect(
                run.stderr.contains(
                    "correo send: 127.0.0.1:\(sink.port): authentication failed: "
                        + "535 5.7.8 Authentication credentials invalid."
                ),
                "\(run.stderr)"
            )
            #expect(run.stderr.contains("Check --user and the password"))
            #expect(run.stderr.contains("Nothing was sent."))
            #expect(run.output.contains("Sent 0, failed 0, skipped 0"))
            #expect(!run.output.contains("--resume-from") && !run.stderr.contains("--resume-from"))
            #expect(sink.messageFiles.isEmpty)
        }
    }

    @Test func connectionsLimitAtNAndNPlusOne() async throws {
        try await TemporaryDirectory.with { directory in
            let path = { (name: String) in directory.url.appendingPathComponent(name).path }
            try "A,a@example.org\n".write(toFile: path("list.csv"), atomically: true, encoding: .utf8)
            try "Hi\n".write(toFile: path("body.txt"), atomically: true, encoding: .utf8)
            let base = [
                "send", "-c", path("list.csv"), "-e", "me@example.com", "-m", path("body.txt"), "--connections",
            ]
            let atLimit = try Self.correo(base + ["\(MailMergeDefaults.maximumConnections)"])
            #expect(atLimit.status == 0)
            let over = try Self.correo(base + ["\(MailMergeDefaults.maximumConnections + 1)"])
            #expect(over.status != 0)
            #expect(over.stderr.contains("--connections must be between 1 and \(MailMergeDefaults.maximumConnections)"))
        }
    }

    @Test func userWithoutPasswordIsAnError() async throws {
        try await TemporaryDirectory.with { directory in
            let path = { (name: String) in directory.url.appendingPathComponent(name).path }
            try "A,a@example.org\n".write(toFile: path("list.csv"), atomically: true, encoding: .utf8)
            try "Hi\n".write(toFile: path("body.txt"), atomically: true, encoding: .utf8)
            let run = try Self.correo([
                "send", "-c", path("list.csv"), "-e", "me@example.com", "-m", path("body.txt"), "--user", "me",
                "--send",
            ])
            #expect(run.status != 0)
            #expect(
                run.stderr.contains(
                    "--user needs --password-file FILE or the CORREO_SMTP_PASSWORD environment variable"
                )
            )
        }
    }
}

@Suite(.offThePool) struct SendInterruptTests {
    @Test func ctrlCStopsAfterTheCurrentMessageAndSaysWhereToResume() async throws {
        try await TemporaryDirectory.with { directory in
            let outdir = directory.url.appendingPathComponent("in", isDirectory: true)
            let sink = try SMTPSink(outdir: outdir.creatingDirectory())
            defer { sink.stop() }
            let path = { (name: String) in directory.url.appendingPathComponent(name).path }
            try (1...40).map { "P\($0),p\($0)@example.org" }.joined(separator: "\n")
                .write(toFile: path("list.csv"), atomically: true, encoding: .utf8)
            try "Hi {{name}}\n".write(toFile: path("body.txt"), atomically: true, encoding: .utf8)
            let process = SpawnedProcess()
            process.executableURL = SendCommandTests.packageRoot.appendingPathComponent(".build/debug/correo")
            process.arguments = [
                "send", "-c", path("list.csv"), "-e", "me@example.com", "-h", "127.0.0.1", "-p", "\(sink.port)",
                "-m", path("body.txt"), "--tls", "none", "--send", "--rate", "300/min", "--connections", "1",
            ]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Interrupt once a few messages have arrived.
            while sink.messageFiles.count < 3 && process.isRunning { usleep(20_000) }
            kill(process.processIdentifier, SIGINT)
            let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitForExit()
            #expect(process.terminationStatus == 130)
            let sent = sink.messageFiles.count
            #expect(sent >= 3 && sent < 40)
            #expect(output.contains("Stopped. To continue, run the same command with --resume-from \(sent + 1)"))
        }
    }
}

extension URL {
    /// Creates the folder and returns it.
    func creatingDirectory() throws -> URL {
        try FileManager.default.createDirectory(at: self, withIntermediateDirectories: true)
        return self
    }
}

import Foundation
import MailTestSupport
import Testing

/// Where `correo send` writes (its report, its dry run's message) when the place cannot take it: a full disk
/// is `/dev/full`, which fails every write with ENOSPC.
@Suite(.offThePool) struct SendReportFileTests {
    static func isFullDevice() -> Bool {
        var status = stat()
        return stat("/dev/full", &status) == 0 && (status.st_mode & S_IFMT) == S_IFCHR
    }

    static func writeList(rows: Int, in directory: TemporaryDirectory) throws {
        let list = (1...rows).map { "Reader \($0),reader\($0)@example.org\n" }.joined()
        try list.write(to: directory.url.appendingPathComponent("list.csv"), atomically: true, encoding: .utf8)
        try "Hi {{name}}\n".write(
            to: directory.url.appendingPathComponent("body.txt"),
            atomically: true,
            encoding: .utf8
        )
    }

    static func sendArguments(_ directory: TemporaryDirectory, port: Int, report: String) -> [String] {
        let path = { (name: String) in directory.url.appendingPathComponent(name).path }
        return [
            "send", "-c", path("list.csv"), "-e", "me@example.com", "-h", "127.0.0.1", "-p", "\(port)",
            "-s", "News", "-m", path("body.txt"), "--tls", "none", "--send", "--connections", "1",
            "--report", report,
        ]
    }

    @Test func aReportThatFillsTheDiskStopsTheRunAndSaysWhereToResume() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(outdir: directory.url.appendingPathComponent("in").creatingDirectory())
            defer { sink.stop() }
            try Self.writeList(rows: 6, in: directory)
            // JSON lines have no header, so the first write to fail is the first row's outcome.
            let report = directory.url.appendingPathComponent("report.jsonl").path
            try FileManager.default.createSymbolicLink(atPath: report, withDestinationPath: "/dev/full")
            let run = try SendCommandTests.correo(Self.sendArguments(directory, port: sink.port, report: report))
            #expect(run.status == 74)
            #expect(
                run.stderr.contains(
                    "correo send: cannot write the report \(report): No space left on device; stopped"
                )
            )
            let sent = sink.messageFiles.count
            #expect(sent >= 1 && sent < 6)
            // Every row before the one to resume from went out, and none after it.
            #expect(run.stderr.contains("run the same command with --resume-from \(sent + 1) to send the rest"))
            #expect(Self.isFullDevice())
        }
    }

    @Test func aCSVReportThatCannotTakeItsHeaderSendsNothing() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(outdir: directory.url.appendingPathComponent("in").creatingDirectory())
            defer { sink.stop() }
            try Self.writeList(rows: 2, in: directory)
            let run = try SendCommandTests.correo(Self.sendArguments(directory, port: sink.port, report: "/dev/full"))
            #expect(run.status == 73)
            #expect(run.stderr.contains("correo send: cannot write the report /dev/full: No space left on device"))
            #expect(sink.messageFiles.isEmpty)
            // Written through, not replaced by a renamed temporary file.
            #expect(Self.isFullDevice())
        }
    }

    @Test func theReportCanGoToStandardOutput() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(outdir: directory.url.appendingPathComponent("in").creatingDirectory())
            defer { sink.stop() }
            try Self.writeList(rows: 2, in: directory)
            let run = try SendCommandTests.correo(
                Self.sendArguments(directory, port: sink.port, report: "/dev/stdout")
            )
            #expect(run.status == 0)
            let lines = run.output.components(separatedBy: "\r\n")
            #expect(lines.first == "row,address,status,reply,message_id")
            #expect(lines.contains { $0.hasPrefix("1,reader1@example.org,sent,250 ") })
            #expect(lines.contains { $0.hasPrefix("2,reader2@example.org,sent,250 ") })
            #expect(run.output.contains("Sent 2, failed 0, skipped 0"))
        }
    }

    @Test func aDryRunWhoseOutputIsFullFailsWithTheReason() async throws {
        try await TemporaryDirectory.with { directory in
            try Self.writeList(rows: 2, in: directory)
            let path = { (name: String) in directory.url.appendingPathComponent(name).path }
            let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
            defer { try? full.close() }
            let run = try SendCommandTests.correo(
                ["send", "-c", path("list.csv"), "-e", "me@example.com", "-m", path("body.txt")],
                standardOutput: full
            )
            #expect(run.status == 74)
            #expect(
                run.stderr.contains("correo send: cannot write the message to standard output: No space left on device")
            )
        }
    }
}

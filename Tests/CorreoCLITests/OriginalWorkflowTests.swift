import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 19: the original tool's README, followed literally with correo's commands in place of its three
/// Python programs, works end to end — the README's "Coming from the original" section is this walk.
@Suite(.offThePool) struct OriginalWorkflowTests {
    static let password = "12345"
    static let attachment = Data("Minutes of the meeting\r\n".utf8) + Data((0...255).map { UInt8($0) })

    @Test(.timeLimit(.minutes(5)))
    func theOriginalReadmeWorksStepByStep() async throws {
        let work = try TemporaryDirectory(prefix: "correo-original")
        defer { work.remove() }
        let path = { (name: String) in work.url.appendingPathComponent(name).path }
        let storage = path("mail") + "/"  // the original's "-s /tmp/mail/", trailing slash included

        // 1. The original's six openssl commands (-subj and -pass* instead of its prompts) make server.pem.
        try await Self.makeOriginalServerPEM(in: work.url)

        // 2. The original's smtpd command line, plus --cert for its server.pem.
        let smtpd = try await CorreoServerProcess.start { ports in
            [
                "smtpd", "-d", "izthero.com", "-d", "localhost.com", "-p", String(ports[0]), "-s", storage,
                "--cert", path("server.pem"),
            ]
        }
        // 3. The original's list, body and send command, exactly its flags, plus -a and --send.
        try "Test6,Test6@localhost.com\nJeffrey,jeffmy@izthero.com\nStranger,someone@example.org\n"
            .write(toFile: path("mailTo.csv"), atomically: true, encoding: .utf8)
        try "Hello $name,\n\nthis is a test message.\n".write(
            toFile: path("bodymessage"),
            atomically: true,
            encoding: .utf8
        )
        try Self.attachment.write(to: URL(fileURLWithPath: path("minutes.bin")))
        let send: CorreoBinary.Result
        do {
            send = try CorreoBinary.run(
                [
                    "send", "-c", "mailTo.csv", "-e", "jeffmy@izthero.com", "-n", "Jeffrey Ricardo Alfaro Fonseca",
                    "-h", "localhost", "-p", String(smtpd.port), "-s", "Message Test", "-m", "bodymessage",
                    "-a", "minutes.bin", "--send",
                ],
                currentDirectory: work.url
            )
        } catch {
            await smtpd.stop()
            throw error
        }
        let smtpdStatus = await smtpd.stop()
        #expect(smtpdStatus == 0, "smtpd did not stop cleanly: \(smtpd.log)")

        // Two rows delivered; the stranger refused as relaying (554 5.7.1), so the run says one failed.
        #expect(
            send.standardOutput.contains("Sent 2, failed 1, skipped 0"),
            "\(send.standardOutput) \(send.standardError)"
        )
        #expect(send.standardError.contains("someone@example.org: failed: 554 5.7.1"), "\(send.standardError)")
        #expect(send.standardError.contains("note: localhost is this machine, so its TLS certificate is not verified"))
        #expect(send.status == 1)
        // Maildirs named after the addresses (lower-cased, as always), made at the first delivery; none
        // for the foreign address.
        let folders = try FileManager.default.contentsOfDirectory(atPath: storage).sorted()
        #expect(folders.contains("test6@localhost.com") && folders.contains("jeffmy@izthero.com"), "\(folders)")
        #expect(!folders.contains { $0.contains("example.org") }, "\(folders)")

        // 4. passwords.txt written by hand, then the original's imapd command line.
        try "Test6@localhost.com:\(Self.password)\n".write(
            toFile: storage + "passwords.txt",
            atomically: true,
            encoding: .utf8
        )
        let imapd = try await CorreoServerProcess.start { ports in
            ["imapd", "-s", storage, "-p", String(ports[0]), "--cert", path("server.pem")]
        }
        do {
            try await Self.readBack(port: imapd.port)
        } catch {
            await imapd.stop()
            throw error
        }
        await imapd.stop()
    }

    /// imaplib (STARTTLS) and curl (`--ssl-reqd`) read the message, its attachment byte for byte.
    static func readBack(port: Int) async throws {
        let script = CorreoBinary.packageRoot.appendingPathComponent("interop/original/imap_read.py").path
        let imaplib = try ChildProcess(["python3", script, "127.0.0.1", String(port), "Test6@localhost.com", password])
        let imaplibStatus = try await imaplib.waitForExit(seconds: 60)
        let listing = imaplib.output.text
        try #require(imaplibStatus == 0, "imaplib: \(listing) \(imaplib.errors.text)")
        #expect(listing.contains("MESSAGES 1\n"), "\(listing)")
        #expect(listing.contains("SUBJECT Message Test\n"))
        #expect(listing.contains("FROM Jeffrey Ricardo Alfaro Fonseca <jeffmy@izthero.com>\n"), "\(listing)")
        #expect(listing.contains("TEXT Hello Test6,"), "\(listing)")
        let digest = try Self.sha256(attachment)
        #expect(listing.contains("ATTACHMENT minutes.bin \(attachment.count) \(digest)\n"), "\(listing)")

        let curl = try ChildProcess([
            "curl", "--silent", "--show-error", "--ssl-reqd", "--insecure", "--max-time", "30",
            "--user", "Test6@localhost.com:\(password)", "imap://127.0.0.1:\(port)/INBOX;UID=1",
        ])
        let curlStatus = try await curl.waitForExit(seconds: 60)
        try #require(curlStatus == 0, "curl: \(curl.errors.text)")
        #expect(curl.output.text.contains("Subject: Message Test"), "\(curl.output.text)")
        #expect(
            curl.output.text.contains("filename=minutes.bin") || curl.output.text.contains("filename=\"minutes.bin\"")
        )
    }

    /// genrsa -des3, req, cp, rsa (removing the pass phrase), x509 -req -signkey, cat: the original's steps.
    static func makeOriginalServerPEM(in directory: URL) async throws {
        let steps: [[String]] = [
            ["openssl", "genrsa", "-des3", "-passout", "pass:original", "-out", "server.key", "2048"],
            [
                "openssl", "req", "-new", "-key", "server.key", "-passin", "pass:original", "-subj",
                "/C=CR/O=izthero/CN=localhost", "-out", "server.csr",
            ],
            ["cp", "server.key", "server.key.org"],
            ["openssl", "rsa", "-in", "server.key.org", "-passin", "pass:original", "-out", "server.key"],
            [
                "openssl", "x509", "-req", "-days", "365", "-in", "server.csr", "-signkey", "server.key",
                "-out", "server.crt",
            ],
            ["sh", "-c", "cat server.crt server.key > server.pem"],
        ]
        for step in steps {
            let process = try ChildProcess(["sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + step)
            let status = try await process.waitForExit(seconds: 60)
            try #require(status == 0, "\(step.joined(separator: " ")): \(process.errors.text)")
        }
    }

    static func sha256(_ data: Data) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("correo-digest-\(UUID().uuidString)")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitForExit()
        return String(output.prefix { $0 != " " })
    }
}

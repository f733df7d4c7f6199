import Foundation
import MailTestSupport
import Testing

/// `correo migrate` run as a real subprocess against a real PostgreSQL server.
@Suite(.offThePool, .timeLimit(.minutes(5)))
struct MigrateCommandTests {
    @Test func copiesAMaildirStoreOnceThenSkipsIt() async throws {
        try await TemporaryDirectory.with { directory in
            try Data("ana@example.com:ana plain\n".utf8).write(
                to: directory.url.appendingPathComponent("passwords.txt")
            )
            // A Maildir made by another program (INBOX only), with a file dropped into new/.
            let new = directory.url.appendingPathComponent("ana@example.com/new")
            try FileManager.default.createDirectory(at: new, withIntermediateDirectories: true)
            for folder in ["cur", "tmp"] {
                try FileManager.default.createDirectory(
                    at: directory.url.appendingPathComponent("ana@example.com/\(folder)"),
                    withIntermediateDirectories: true
                )
            }
            let message = "From: bo@example.com\r\nSubject: hello\r\n\r\nhi ana\r\n"
            try Data(message.utf8).write(to: new.appendingPathComponent("1700000000.M1P1.test"))
            try await PostgresServer.with { server in
                let arguments = ["migrate", "--from", "maildir:" + directory.path]
                let first = try CorreoBinary.run(arguments, environment: ["CORREO_STORE": server.url])
                #expect(first.status == 0, "\(first.standardError)")
                #expect(
                    first.standardOutput.contains(
                        "ana@example.com: 1 mailboxes, 1 messages, \(message.utf8.count) bytes"
                    )
                )
                #expect(first.standardOutput.contains("users copied 1, skipped 0, failed 0"))
                let second = try CorreoBinary.run(arguments + ["--to", server.url])
                #expect(second.status == 0, "\(second.standardError)")
                #expect(second.standardOutput.contains("ana@example.com: skipped, the database has this user already"))
                let status = try CorreoBinary.run(["db", "status", "--store", server.url])
                #expect(status.standardOutput.contains("users 1, mailboxes 1, messages 1"), "\(status.standardOutput)")
                let wrong = try CorreoBinary.run(["migrate", "--from", directory.path, "--to", server.url])
                #expect(wrong.status != 0)
                #expect(wrong.standardError.contains("maildir:DIR"))
            }
        }
    }
}

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

    @Test func copiesThePostgresStoreBackIntoAMaildirStore() async throws {
        try await TemporaryDirectory.with { directory in
            try Data("ana@example.com:{PLAIN}ana pass\n".utf8).write(
                to: directory.url.appendingPathComponent("passwords.txt")
            )
            let back = directory.url.appendingPathComponent("back", isDirectory: true)
            try await PostgresServer.with { server in
                let there = try CorreoBinary.run(["migrate", "--from", "maildir:" + directory.path, "--to", server.url])
                #expect(there.status == 0, "\(there.standardError)")
                let arguments = ["migrate", "--from", server.url, "--to", "maildir:" + back.path]
                let first = try CorreoBinary.run(arguments)
                #expect(first.status == 0, "\(first.standardError)")
                #expect(first.standardOutput.contains("ana@example.com: 6 mailboxes, 0 messages, 0 bytes"))
                #expect(first.standardOutput.contains("users copied 1, skipped 0, failed 0"))
                let passwords = try String(contentsOf: back.appendingPathComponent("passwords.txt"), encoding: .utf8)
                #expect(passwords == "ana@example.com:{PLAIN}ana pass\n")
                #expect(FileManager.default.fileExists(atPath: back.path + "/ana@example.com/correo-uidlist"))
                let second = try CorreoBinary.run(arguments)
                #expect(second.status == 0, "\(second.standardError)")
                #expect(
                    second.standardOutput.contains("ana@example.com: skipped, the Maildir store has this user already")
                )
                let both = try CorreoBinary.run(["migrate", "--from", server.url, "--to", server.url])
                #expect(both.status != 0)
                #expect(both.standardError.contains("pg_dump"))
                let maildirs = try CorreoBinary.run([
                    "migrate", "--from", "maildir:" + directory.path, "--to", "maildir:" + back.path,
                ])
                #expect(maildirs.status != 0)
                #expect(maildirs.standardError.contains("both Maildir stores"))
            }
        }
    }
}

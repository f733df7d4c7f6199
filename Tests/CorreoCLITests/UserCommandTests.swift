import Foundation
import MailTestSupport
import Testing

/// `correo user` run as a real subprocess of the built binary.
@Suite(.offThePool) struct UserCommandTests {
    @Test func addCreatesHashedUserAndMaildir() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try CorreoBinary.run(
            ["user", "add", "A@B.test", "--password-stdin", "-s", directory.path],
            input: "s3cret pass\n"
        )
        #expect(result.status == 0, "\(result.standardError)")
        let passwords = try String(contentsOfFile: directory.path + "/passwords.txt", encoding: .utf8)
        #expect(passwords.hasPrefix("a@b.test:{SHA512-CRYPT}$6$"))
        #expect(!passwords.contains("s3cret"))
        let mode = try FileManager.default.attributesOfItem(atPath: directory.path + "/passwords.txt")[
            .posixPermissions
        ]
        #expect((mode as? Int) == 0o600)
        for folder in ["cur", "new", "tmp", ".Sent/cur", ".Trash/new"] {
            #expect(FileManager.default.fileExists(atPath: directory.path + "/a@b.test/" + folder))
        }
        let list = try CorreoBinary.run(["user", "list"], environment: ["CORREO_STORAGE": directory.path])
        #expect(list.status == 0)
        #expect(list.standardOutput == "a@b.test\n")
    }

    @Test func duplicateUnknownAndBadInputFailWithAMessage() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let storage = ["-s", directory.path]
        _ = try CorreoBinary.run(["user", "add", "a@b.test", "--password-stdin"] + storage, input: "pw\n")
        let again = try CorreoBinary.run(["user", "add", "a@b.test", "--password-stdin"] + storage, input: "pw\n")
        #expect(again.status != 0)
        #expect(again.standardError.contains("already exists"))
        let missing = try CorreoBinary.run(["user", "passwd", "x@b.test", "--password-stdin"] + storage, input: "pw\n")
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("no user 'x@b.test'"))
        let empty = try CorreoBinary.run(["user", "add", "c@b.test", "--password-stdin"] + storage, input: "")
        #expect(empty.status != 0)
        #expect(empty.standardError.contains("no password"))
        let escaping = try CorreoBinary.run(
            ["user", "add", "../../etc@x", "--password-stdin"] + storage,
            input: "pw\n"
        )
        #expect(escaping.status != 0)
        #expect(escaping.standardError.contains("not a usable mail address"))
    }

    @Test func passwdThenDelete() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let storage = ["-s", directory.path]
        _ = try CorreoBinary.run(["user", "add", "a@b.test", "--password-stdin"] + storage, input: "one\n")
        let before = try String(contentsOfFile: directory.path + "/passwords.txt", encoding: .utf8)
        let changed = try CorreoBinary.run(
            ["user", "passwd", "A@b.test", "--password-stdin"] + storage,
            input: "two\n"
        )
        #expect(changed.status == 0, "\(changed.standardError)")
        #expect(try String(contentsOfFile: directory.path + "/passwords.txt", encoding: .utf8) != before)
        let deleted = try CorreoBinary.run(["user", "del", "a@b.test"] + storage)
        #expect(deleted.status == 0)
        #expect(try String(contentsOfFile: directory.path + "/passwords.txt", encoding: .utf8).isEmpty)
        #expect(FileManager.default.fileExists(atPath: directory.path + "/a@b.test/cur"))
        let list = try CorreoBinary.run(["user", "list"] + storage)
        #expect(list.standardOutput.isEmpty)
    }
}

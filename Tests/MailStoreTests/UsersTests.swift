import Foundation
import Logging
import MailTestSupport
import Testing

@testable import MailStore

@Suite(.offThePool) struct UsersTests {
    @Test func addThenVerify() async throws {
        try await withStore { store, directory in
            try store.users.add("Alice@Example.test", password: "correct horse")
            #expect(await store.users.verify(address: "alice@example.test", password: "correct horse"))
            #expect(await store.users.verify(address: "ALICE@example.test", password: "correct horse"))
            #expect(await store.users.verify(address: "alice@example.test", password: "wrong") == false)
            #expect(await store.users.verify(address: "bob@example.test", password: "correct horse") == false)
            let text = try String(contentsOfFile: directory.path + "/passwords.txt", encoding: .utf8)
            #expect(text.hasPrefix("alice@example.test:{SHA512-CRYPT}$6$rounds=100000$"))
            #expect(!text.contains("correct horse"))
            let mode = try FileManager.default.attributesOfItem(atPath: directory.path + "/passwords.txt")[
                .posixPermissions
            ]
            #expect((mode as? Int) == 0o600)
            #expect(throws: MailStoreError.userExists("alice@example.test")) {
                try store.users.add("alice@example.test", password: "x")
            }
        }
    }

    @Test func setPasswordAndRemove() async throws {
        try await withStore { store, _ in
            try store.users.add("carol@example.test", password: "one")
            try store.users.setPassword("carol@example.test", password: "two")
            #expect(await store.users.verify(address: "carol@example.test", password: "two"))
            #expect(await store.users.verify(address: "carol@example.test", password: "one") == false)
            try store.users.remove("carol@example.test")
            #expect(try store.users.list().isEmpty)
            #expect(throws: MailStoreError.userNotFound("carol@example.test")) {
                try store.users.remove("carol@example.test")
            }
        }
    }

    @Test func hashesMadeByOtherToolsVerify() async throws {
        try await withStore { store, directory in
            let sha512 = try python("import crypt; print(crypt.crypt('pw512', crypt.mksalt(crypt.METHOD_SHA512)))")
            let bcrypt = try python("import crypt; print(crypt.crypt('pwblf', crypt.mksalt(crypt.METHOD_BLOWFISH)))")
            let lines = [
                "# comment",
                "plain@example.test:original:plain",
                "sha@example.test:{SHA512-CRYPT}\(sha512)",
                "blf@example.test:{BLF-CRYPT}\(bcrypt):1000:1000::/home/blf::",
                "old@example.test:{PLAIN}plainpw",
            ]
            try lines.joined(separator: "\n").write(
                toFile: directory.path + "/passwords.txt",
                atomically: true,
                encoding: .utf8
            )
            let users = store.users
            #expect(await users.verify(address: "plain@example.test", password: "original:plain"))
            #expect(await users.verify(address: "sha@example.test", password: "pw512"))
            #expect(await users.verify(address: "sha@example.test", password: "pw") == false)
            #expect(await users.verify(address: "blf@example.test", password: "pwblf"))
            #expect(await users.verify(address: "blf@example.test", password: "nope") == false)
            #expect(await users.verify(address: "old@example.test", password: "plainpw"))
            #expect(
                try users.list() == ["blf@example.test", "old@example.test", "plain@example.test", "sha@example.test"]
            )

            // A rewrite keeps the other lines (with their extra fields) and makes the file 0600.
            try users.setPassword("plain@example.test", password: "hashed now")
            let text = try String(contentsOfFile: directory.path + "/passwords.txt", encoding: .utf8)
            #expect(text.contains("# comment\n"))
            #expect(text.contains(":1000:1000::/home/blf::"))
            #expect(!text.contains("original:plain"))
            #expect(await users.verify(address: "blf@example.test", password: "pwblf"))
            let mode = try FileManager.default.attributesOfItem(atPath: directory.path + "/passwords.txt")[
                .posixPermissions
            ]
            #expect((mode as? Int) == 0o600)
        }
    }

    @Test(arguments: [PasswordScheme.blfCrypt, .sha256Crypt, .yescrypt, .pbkdf2, .plain])
    func everySchemeRoundTrips(_ scheme: PasswordScheme) throws {
        let hash = try PasswordHash.make("s3cret", scheme: scheme)
        #expect(hash.hasPrefix("{\(scheme.rawValue)}"))
        #expect(PasswordHash.verify("s3cret", against: hash))
        #expect(PasswordHash.verify("s3creT", against: hash) == false)
    }

    @Test func dovecotPBKDF2Verifies() {
        // Dovecot's format: $1$salt$rounds$hex(PBKDF2-HMAC-SHA1); RFC 6070's test vector 2 ("password", "salt", 2).
        #expect(PasswordHash.verify("password", against: "{PBKDF2}$1$salt$2$ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"))
        #expect(
            PasswordHash.verify("passwort", against: "{PBKDF2}$1$salt$2$ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957")
                == false
        )
    }

    @Test func unknownSchemeAndBadPasswordsNeverVerify() throws {
        #expect(PasswordHash.verify("x", against: "{MD99}x") == false)
        #expect(throws: MailStoreError.self) { try PasswordHash.make("line\nbreak") }
        #expect(throws: MailStoreError.self) { try PasswordHash.make("") }
        let longest = String(repeating: "p", count: MailStoreDefaults.maximumPasswordBytes)
        #expect(PasswordHash.verify(longest, against: try PasswordHash.make(longest, scheme: .plain)))
        #expect(throws: MailStoreError.self) { try PasswordHash.make(longest + "p", scheme: .plain) }
    }

    private func python(_ code: String) throws -> String {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-W", "ignore", "-c", code]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitForExit()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

@Suite(.offThePool) struct UsersReloadTests {
    @Test func fileEditedByHandIsReread() async throws {
        try await withStore { store, directory in
            let path = directory.path + "/passwords.txt"
            try "a@example.test:first\n".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(await store.users.verify(address: "a@example.test", password: "first"))
            try "a@example.test:second-longer\n".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(await store.users.verify(address: "a@example.test", password: "second-longer"))
            #expect(await store.users.verify(address: "a@example.test", password: "first") == false)
        }
    }
}

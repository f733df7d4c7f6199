import Foundation
import MailTestSupport
import Synchronization
import Testing

@testable import MailStore

/// The cache of verified passwords: a reconnecting client skips the hash, and nothing else changes —
/// a wrong password, a new password, a removed user or an edited passwords.txt answer as without it.
@Suite(.offThePool) struct VerifiedCredentialsTests {
    @Test func aSecondLoginWithTheSamePasswordIsNotHashedAgain() async throws {
        try await withStore { store, _ in
            try store.users.add("alice@example.test", password: "correct horse")
            #expect(await store.users.verify(address: "alice@example.test", password: "correct horse"))
            #expect(store.users.hashedVerifications == 1)
            for _ in 0..<5 {
                #expect(await store.users.verify(address: "Alice@Example.test", password: "correct horse"))
            }
            #expect(store.users.hashedVerifications == 1)
        }
    }

    @Test func aWrongPasswordIsAlwaysHashedAndRefused() async throws {
        try await withStore { store, _ in
            try store.users.add("alice@example.test", password: "correct horse")
            #expect(await store.users.verify(address: "alice@example.test", password: "correct horse"))
            #expect(await store.users.verify(address: "alice@example.test", password: "correct horsE") == false)
            #expect(await store.users.verify(address: "alice@example.test", password: "correct horsE") == false)
            #expect(await store.users.verify(address: "nobody@example.test", password: "correct horse") == false)
            // The first login, two wrong passwords and the unknown user's decoy.
            #expect(store.users.hashedVerifications == 4)
        }
    }

    @Test func aNewPasswordOrARemovedUserEndsTheEntry() async throws {
        try await withStore { store, _ in
            try store.users.add("carol@example.test", password: "one")
            #expect(await store.users.verify(address: "carol@example.test", password: "one"))
            try store.users.setPassword("carol@example.test", password: "two")
            #expect(await store.users.verify(address: "carol@example.test", password: "one") == false)
            #expect(await store.users.verify(address: "carol@example.test", password: "two"))
            try store.users.remove("carol@example.test")
            #expect(await store.users.verify(address: "carol@example.test", password: "two") == false)
        }
    }

    @Test func passwordsEditedByHandDropTheCache() async throws {
        try await withStore { store, directory in
            let path = directory.path + "/passwords.txt"
            let first = "a@example.test:" + (try PasswordHash.make("first", scheme: .sha256Crypt)) + "\n"
            try first.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(await store.users.verify(address: "a@example.test", password: "first"))
            #expect(store.users.verified.count == 1)
            try (first + "b@example.test:" + (try PasswordHash.make("x", scheme: .sha256Crypt)) + "\n").write(
                toFile: path,
                atomically: true,
                encoding: .utf8
            )
            #expect(await store.users.verify(address: "b@example.test", password: "x"))
            // Re-read: alice's entry went with the old file, only b's is new.
            #expect(store.users.verified.count == 1)
        }
    }

    @Test func aPlainPasswordIsComparedEveryTimeAndNeverKept() async throws {
        try await withStore { store, directory in
            let path = directory.path + "/passwords.txt"
            try "a@example.test:{PLAIN}first\nb@example.test:second\n".write(
                toFile: path,
                atomically: true,
                encoding: .utf8
            )
            for _ in 0..<3 {
                #expect(await store.users.verify(address: "a@example.test", password: "first"))
                #expect(await store.users.verify(address: "b@example.test", password: "second"))
                #expect(await store.users.verify(address: "b@example.test", password: "first") == false)
            }
            #expect(store.users.verified.count == 0)
            #expect(store.users.hashedVerifications == 9)
        }
    }

    @Test func entriesExpireAndTheOldestGoesWhenFull() {
        let clock = Mutex(Date(timeIntervalSince1970: 1_000_000))
        let cache = VerifiedCredentials(capacity: 2, lifetime: 60, now: { clock.withLock { $0 } })
        cache.insert(user: "a", password: "pa", stored: "{X}a")
        #expect(cache.contains(user: "a", password: "pa", stored: "{X}a"))
        #expect(!cache.contains(user: "a", password: "pb", stored: "{X}a"))
        #expect(!cache.contains(user: "a", password: "pa", stored: "{X}changed"))
        // The changed stored hash killed the entry; a fresh one, then time passes.
        cache.insert(user: "a", password: "pa", stored: "{X}a")
        clock.withLock { $0 += 61 }
        #expect(!cache.contains(user: "a", password: "pa", stored: "{X}a"))
        // Full at two: the third user pushes out the oldest.
        cache.insert(user: "a", password: "pa", stored: "{X}a")
        clock.withLock { $0 += 1 }
        cache.insert(user: "b", password: "pb", stored: "{X}b")
        clock.withLock { $0 += 1 }
        cache.insert(user: "c", password: "pc", stored: "{X}c")
        #expect(cache.count == 2)
        #expect(!cache.contains(user: "a", password: "pa", stored: "{X}a"))
        #expect(cache.contains(user: "b", password: "pb", stored: "{X}b"))
        #expect(cache.contains(user: "c", password: "pc", stored: "{X}c"))
        // A clock that steps back does not make an entry live forever.
        clock.withLock { $0 -= 3600 }
        #expect(!cache.contains(user: "c", password: "pc", stored: "{X}c"))
    }
}

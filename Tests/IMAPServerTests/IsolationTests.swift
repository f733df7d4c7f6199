import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOPosix
import Testing

@testable import IMAPServer

/// Issue 7, "Privilege and isolation": a user logged in over IMAP can never reach another user's mail
/// or anything outside their own Maildir, whatever the mailbox name or whatever symbolic links were
/// placed inside their Maildir; the answer is a NO or BAD and the server keeps serving.
@Suite(.offThePool) struct IsolationTests {
    static let alice = "alice@example.org"
    static let bob = "bob@example.org"
    static let password = "pass word"

    /// Two users; alice has a secret message.
    ///
    /// Returns the storage folder and a running server.
    private static func start(_ directory: TemporaryDirectory) async throws -> (MailStore, IMAPServer, Int) {
        let store = MailStore(root: directory.url.appendingPathComponent("mail"))
        try FileManager.default.createDirectory(at: store.root, withIntermediateDirectories: true)
        for user in [alice, bob] {
            try store.users.add(user, password: password)
            try store.createUserMaildir(user)
        }
        let secret = Array("From: alice@example.org\r\nSubject: alice secret\r\n\r\nALICE-SECRET-BODY\r\n".utf8)
        _ = try await store.deliver(bytes: secret, to: [alice])
        let own = Array("From: carol@example.org\r\nSubject: for bob\r\n\r\nbob's own mail\r\n".utf8)
        _ = try await store.deliver(bytes: own, to: [bob])
        let server = IMAPServer(
            configuration: .init(allowPlaintextAuth: true),
            store: store,
            tlsContext: nil,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: Logger(label: "isolation-test")
        )
        let ports = try await server.start(listeners: [.init(kind: .startTLS, host: "127.0.0.1", port: 0)])
        return (store, server, ports[0])
    }

    /// Runs `body` against a fresh server, then shuts the server down and removes its folder.
    private static func withServer(
        prefix: String,
        _ body: (MailStore, Int, TemporaryDirectory) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory(prefix: prefix)
        defer { directory.remove() }
        let (store, server, port) = try await start(directory)
        do {
            try await body(store, port, directory)
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// Mailbox names that try to leave bob's Maildir: parent references, separators, home-directory
    /// and absolute paths, NUL and other control bytes, wildcards, and modified UTF-7 runs that
    /// decode to "." "/" or "~".
    static let hostileNames: [String] = [
        "..", "../alice@example.org", "INBOX/../../alice@example.org", "../../", "/etc", "/etc/passwd",
        "/", "~alice", "~/../alice@example.org", "~alice@example.org/INBOX", ".", "./INBOX", "a//b",
        "../mail", "..\\alice@example.org", "%", "*", "../%", "../*", "&AC4ALg-/alice@example.org",
        "&AC8-etc", "&AH4-alice@example.org", "&AC4ALgAv-alice@example.org", ".alice", ".Sent/../..",
    ]

    @Test(.timeLimit(.minutes(5)))
    func hostileMailboxNamesNeverReachAnotherUser() async throws {
        try await Self.withServer(prefix: "imap-isolation") { store, port, directory in
            let rootBefore = try Set(FileManager.default.contentsOfDirectory(atPath: directory.path))
            let storageBefore = try Set(FileManager.default.contentsOfDirectory(atPath: store.root.path))

            var commands: [String] = []
            for name in Self.hostileNames {
                let quoted = "\"" + name.replacingOccurrences(of: "\\", with: "\\\\") + "\""
                commands += [
                    "SELECT \(quoted)", "EXAMINE \(quoted)", "STATUS \(quoted) (MESSAGES)", "CREATE \(quoted)",
                    "DELETE \(quoted)", "RENAME \(quoted) \"Stolen\"", "RENAME INBOX \(quoted)",
                    "LIST \(quoted) \"*\"", "LIST \"\" \(quoted)", "SUBSCRIBE \(quoted)",
                    "APPEND \(quoted) {5+}\r\nhello",
                ]
            }
            // NUL and other control bytes travel in literals; quoted strings cannot hold them.
            for name in ["a\u{0}b", "..\u{0}", "x\r", "\u{7F}"] {
                commands += ["SELECT {\(name.utf8.count)+}\r\n\(name)", "CREATE {\(name.utf8.count)+}\r\n\(name)"]
            }
            commands += ["SELECT INBOX", "COPY 1 \"../alice@example.org\"", "MOVE 1 \"/tmp\"", "FETCH 1:* BODY[]"]
            let answers = try await IMAPScript.run(port: port, user: Self.bob, password: Self.password, commands)

            for answer in answers {
                #expect(!answer.text.contains("ALICE-SECRET"), "\(answer.command): \(answer.text)")
                #expect(!answer.text.lowercased().contains("alice@example.org\r\n"), "\(answer.command)")
            }
            // Every command that could lead outside was refused (NO or BAD), and the server kept answering.
            for answer in answers
            where answer.command.hasPrefix("SELECT") || answer.command.hasPrefix("CREATE")
                || answer.command.hasPrefix("APPEND") || answer.command.hasPrefix("COPY")
                || answer.command.hasPrefix("RENAME")
            {
                guard answer.command != "SELECT INBOX" else { continue }
                let refused = answer.status == "NO" || answer.status == "BAD"
                // A name that is harmless inside bob's own Maildir (modified UTF-7 kept as it came,
                // "~alice", "%") may be made there by CREATE, APPEND or RENAME INBOX: bob's own folder.
                if !refused {
                    let makesOwnFolder = ["CREATE", "APPEND", "RENAME INBOX"].contains { answer.command.hasPrefix($0) }
                    #expect(makesOwnFolder, "\(answer.command) → \(answer.status)")
                }
            }
            #expect(answers.last(where: { $0.command == "NOOP" })?.status == "OK")

            // Nothing appeared beside the storage folder or directly in it; alice's mail is untouched.
            #expect(try Set(FileManager.default.contentsOfDirectory(atPath: directory.path)) == rootBefore)
            let storageAfter = try Set(FileManager.default.contentsOfDirectory(atPath: store.root.path))
            #expect(storageAfter.subtracting(storageBefore).allSatisfy { $0.hasPrefix(".") || $0 == "tmp" })
            let aliceInbox = try await store.mailbox(user: Self.alice, name: .inbox)
            #expect(await aliceInbox.snapshot().count == 1)
            let aliceFolders = try await store.listMailboxes(user: Self.alice).map(\.name.description)
            #expect(aliceFolders.sorted() == ["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"])
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func symbolicLinksInsideAMaildirAreNotFollowed() async throws {
        try await Self.withServer(prefix: "imap-symlinks") { store, port, directory in
            let manager = FileManager.default
            let bobPath = store.root.path + "/" + Self.bob
            let alicePath = store.root.path + "/" + Self.alice
            let aliceMessage = try #require(try manager.contentsOfDirectory(atPath: alicePath + "/new").first)
            let outside = directory.path + "/shadow"
            try Data("root:OUTSIDE-SECRET:19000::::::\n".utf8).write(to: URL(fileURLWithPath: outside))

            // A folder that is a link to alice's Maildir; a folder whose cur/ is a link to alice's cur/.
            try manager.createSymbolicLink(atPath: bobPath + "/.Evil", withDestinationPath: alicePath)
            try manager.createDirectory(atPath: bobPath + "/.Linked/new", withIntermediateDirectories: true)
            try manager.createDirectory(atPath: bobPath + "/.Linked/tmp", withIntermediateDirectories: true)
            try manager.createSymbolicLink(atPath: bobPath + "/.Linked/cur", withDestinationPath: alicePath + "/new")
            // Message files in bob's INBOX that are links to alice's message and to a file outside.
            try manager.createSymbolicLink(
                atPath: bobPath + "/cur/1700000000.M1P1.evil,S=60:2,S",
                withDestinationPath: alicePath + "/new/" + aliceMessage
            )
            try manager.createSymbolicLink(
                atPath: bobPath + "/new/1700000001.M2P2.shadow",
                withDestinationPath: outside
            )
            try manager.createSymbolicLink(atPath: bobPath + "/.Secret", withDestinationPath: "/etc")

            let answers = try await IMAPScript.run(
                port: port,
                user: Self.bob,
                password: Self.password,
                [
                    "LIST \"\" \"*\"", "SELECT Evil", "SELECT Linked", "STATUS Evil (MESSAGES)", "SELECT Secret",
                    "RENAME Evil Mine", "DELETE Evil", "SELECT INBOX", "FETCH 1:* (BODY[])", "UID FETCH 1:* (FLAGS)",
                    "APPEND Evil {5+}\r\nhello",
                ]
            )
            for answer in answers {
                #expect(!answer.text.contains("ALICE-SECRET"), "\(answer.command): \(answer.text)")
                #expect(!answer.text.contains("OUTSIDE-SECRET"), "\(answer.command): \(answer.text)")
            }
            let list = try #require(answers.first { $0.command.hasPrefix("LIST") })
            #expect(!list.text.contains("Evil") && !list.text.contains("Linked") && !list.text.contains("Secret"))
            for command in [
                "SELECT Evil", "SELECT Linked", "STATUS Evil (MESSAGES)", "SELECT Secret", "RENAME Evil Mine",
            ] {
                #expect(answers.first { $0.command == command }?.status == "NO", "\(command)")
            }
            // INBOX shows bob's one real message and not the two links.
            let select = try #require(answers.first { $0.command == "SELECT INBOX" })
            #expect(select.status == "OK" && select.text.contains("* 1 EXISTS"), "\(select.text)")
            #expect(answers.first { $0.command.hasPrefix("FETCH") }?.text.contains("bob's own mail") == true)
            #expect(answers.last?.command == "NOOP" && answers.last?.status == "OK")
            // The links are still links and alice's Maildir is as it was.
            #expect(try manager.destinationOfSymbolicLink(atPath: bobPath + "/.Evil") == alicePath)
            #expect(try manager.contentsOfDirectory(atPath: alicePath + "/new") == [aliceMessage])
            #expect(!manager.fileExists(atPath: alicePath + "/cur/" + aliceMessage))
        }
    }
}

/// Runs IMAP commands over a raw socket (python3, so any byte, NUL included, can be sent): logs in,
/// sends each command with its own tag, collects what came back up to the tagged reply, ends with NOOP.
enum IMAPScript {
    enum IMAPScriptError: Error, CustomStringConvertible {
        case clientFailed(String)
        var description: String {
            switch self {
            case .clientFailed(let stderr): "the python IMAP client wrote nothing: \(stderr)"
            }
        }
    }

    struct Answer: Sendable {
        let command: String
        let status: String
        let text: String
    }

    static let client = #"""
        import json, socket, sys
        port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        commands = json.load(sys.stdin)
        s = socket.create_connection(("127.0.0.1", port), timeout=90)  # a loaded CI machine is slow
        f = s.makefile("rb")
        f.readline()
        def run(tag, command):
            s.sendall(tag.encode() + b" " + command.encode("utf-8", "surrogateescape") + b"\r\n")
            text = b""
            while True:
                line = f.readline()
                if not line:
                    return "BYE", text
                text += line
                if line.startswith(tag.encode() + b" "):
                    return line.split(b" ")[1].decode(), text
        run("L", 'LOGIN "%s" "%s"' % (user, password))
        out = []
        for i, command in enumerate(commands + ["NOOP"]):
            status, text = run("T%d" % i, command)
            out.append({"command": command.split("\r\n")[0], "status": status,
                        "text": text.decode("utf-8", "replace")})
        print(json.dumps(out))
        """#

    static func run(port: Int, user: String, password: String, _ commands: [String]) async throws -> [Answer] {
        let input = try JSONSerialization.data(withJSONObject: commands)
        let output: Data = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let process = SpawnedProcess()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = ["python3", "-c", client, String(port), user, password]
                    let stdin = Pipe()
                    let stdout = Pipe()
                    let stderr = Pipe()
                    process.standardInput = stdin
                    process.standardOutput = stdout
                    process.standardError = stderr
                    try process.run()
                    // A client that died early closed the pipe: its output says why, below.
                    try? stdin.fileHandleForWriting.write(contentsOf: input)
                    try stdin.fileHandleForWriting.close()
                    let data = stdout.fileHandleForReading.readDataToEndOfFile()
                    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
                    process.waitForExit()
                    if data.isEmpty {
                        // The client died (a timeout, a reset): say why instead of a JSON parse error.
                        throw IMAPScriptError.clientFailed(String(decoding: errors, as: UTF8.self))
                    }
                    continuation.resume(returning: data)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        let decoded = try #require(try JSONSerialization.jsonObject(with: output) as? [[String: String]])
        return decoded.map { Answer(command: $0["command"] ?? "", status: $0["status"] ?? "", text: $0["text"] ?? "") }
    }
}

import Foundation
import MailTestSupport
import Testing

/// `correo serve --store postgres://…`: several real correo processes on one real PostgreSQL server.
@Suite(.offThePool, .timeLimit(.minutes(10)))
struct ServeOnPostgresTests {
    static let user = "ana@example.com"
    static let password = "ana's cluster password"

    /// Issue 18's three-node test: SMTP deliveries to node 1 (killed with SIGKILL half-way, its senders
    /// going on with node 2), APPENDs on node 2, IDLE on node 3; every acknowledged message present
    /// exactly once, UIDs unique and increasing, node 3 told of a delivery on node 2 within a second
    /// (interop/cluster/three_nodes.py checks and prints the figures).
    @Test func threeNodesShareOneStoreThroughAKill() async throws {
        try await PostgresServer.with { server throws in
            try Self.prepare(server)

            let (nodes, folders) = try await Self.nodes(3, store: server.url)
            defer { for folder in folders { folder.remove() } }
            let client = try ChildProcess(
                [
                    "python3", CorreoBinary.packageRoot.appendingPathComponent("interop/cluster/three_nodes.py").path,
                    String(nodes[0].ports[0]), String(nodes[1].ports[0]), String(nodes[1].ports[1]),
                    String(nodes[2].ports[1]), String(nodes[0].process.process.processIdentifier),
                    Self.user, Self.password, "40",
                ]
            )
            let status = try await client.waitForExit(seconds: 300)
            for node in nodes.dropFirst() { await node.stop() }
            await nodes[0].stop()
            let report = "\(client.output.text) \(client.errors.text)"
            try #require(status == 0, "\(report)\nnode 2: \(nodes[1].log)\nnode 3: \(nodes[2].log)")
            // The figures the script found, for the log: at least some of each kind went through.
            let line = try #require(client.output.text.split(separator: "\n").last)
            let figures = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect((figures?["acknowledged_smtp"] as? Int ?? 0) >= 40, "\(report)")
            #expect((figures?["appended"] as? Int ?? 0) > 0, "\(report)")
            print("three nodes:", line)
        }
    }

    /// The outbound queue is the database's: messages submitted to three nodes for another domain are
    /// each relayed once, by whichever node claimed them first, and the queue is empty after.
    @Test func threeNodesRelayEachQueuedMessageOnce() async throws {
        try await PostgresServer.with { server throws in
            let store = try Self.prepare(server)
            let smarthost = try TemporaryDirectory(prefix: "correo-pg-smarthost")
            defer { smarthost.remove() }
            let tls = try TestTLS.make(in: smarthost)
            let outdir = smarthost.url.appendingPathComponent("out")
            try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
            let sink = try SMTPSink(outdir: outdir, tls: tls)
            defer { sink.stop() }

            let relay = ["--relay-host", "127.0.0.1:\(sink.port)", "--relay-cafile", tls.certificatePath]
            let (nodes, folders) = try await Self.nodes(3, store: server.url, extra: relay)
            defer { for folder in folders { folder.remove() } }
            let count = 12
            for i in 0..<count {
                let node = nodes[i % nodes.count]
                let swaks = try ChildProcess([
                    "swaks", "--server", "127.0.0.1:\(node.ports[2])", "--auth", "PLAIN", "--auth-user", Self.user,
                    "--auth-password", Self.password, "--from", Self.user, "--to", "carol@remote.example",
                    "--header", "Message-ID: <queued-\(i)@cluster.test>",
                ])
                try #require(try await swaks.waitForExit(seconds: 60) == 0, "\(swaks.output.text)")
            }
            let relayed = try await waitUntil(seconds: 120) { sink.messageFiles.count >= count }
            // A second copy would come from a node that claimed a message another node was relaying.
            try await Task.sleep(for: .seconds(3))
            let logs = nodes.map(\.log).joined(separator: "\n")
            for node in nodes { await node.stop() }
            try #require(relayed, "\(sink.messageFiles.count) relayed\n\(logs)")
            let copies = sink.messages(for: "carol@remote.example").map { String(decoding: $0, as: UTF8.self) }
            #expect(copies.count == count, "\(copies.count) copies")
            for i in 0..<count {
                #expect(copies.filter { $0.contains("<queued-\(i)@cluster.test>") }.count == 1, "message \(i)")
            }
            let queue = try CorreoBinary.run(["queue", "list"] + store)
            #expect(
                queue.standardOutput.contains("The queue is empty."),
                "\(queue.standardOutput) \(queue.standardError)"
            )
        }
    }

    /// The IMAP scripts the Maildir server's integration tests run (`interop/imap`), against a node on
    /// PostgreSQL: every command of the server with imaplib, and two sessions seeing each other's changes.
    @Test func imaplibScriptsPassOnAPostgreSQLNode() async throws {
        try await PostgresServer.with { server throws in
            let store = try Self.prepare(server)
            let carol = try CorreoBinary.run(
                ["user", "add", "carol@example.com", "--password-stdin"] + store,
                input: "carol's\n"
            )
            try #require(carol.status == 0, "\(carol.standardError)")
            let storage = try TemporaryDirectory(prefix: "correo-node")
            defer { storage.remove() }
            let node = try await Self.node(storage: storage.path, store: server.url)
            for i in 1...3 {
                let swaks = try ChildProcess([
                    "swaks", "--server", "127.0.0.1:\(node.ports[0])", "--from", "x@example.net", "--to",
                    "carol@example.com", "--header", "Subject: shared \(i)",
                ])
                try #require(try await swaks.waitForExit(seconds: 60) == 0, "\(swaks.output.text)")
            }
            let scripts = CorreoBinary.packageRoot.appendingPathComponent("interop/imap")
            let all = try ChildProcess([
                "python3", scripts.appendingPathComponent("all_commands.py").path, "127.0.0.1",
                String(node.ports[1]), Self.user, Self.password,
            ])
            let allStatus = try await all.waitForExit(seconds: 180)
            let two = try ChildProcess([
                "python3", scripts.appendingPathComponent("two_sessions.py").path, "127.0.0.1",
                String(node.ports[1]), "carol@example.com", "carol's",
            ])
            let twoStatus = try await two.waitForExit(seconds: 180)
            await node.stop()
            #expect(allStatus == 0 && all.output.text.contains("ALL OK"), "\(all.output.text)\(all.errors.text)")
            #expect(twoStatus == 0, "\(two.output.text)\(two.errors.text)\n\(node.log)")
        }
    }

    /// A node whose database has gone away loses nothing and refuses nothing for good: SMTP answers RCPT
    /// with `451 4.3.0` (the sender tries again; a `550` would bounce the mail), IMAP LOGIN with
    /// `NO [UNAVAILABLE]` (RFC 5530), and the node keeps running.
    @Test func aNodeWhoseDatabaseIsDownDefersInsteadOfRefusing() async throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try Self.prepare(server)
        let storage = try TemporaryDirectory(prefix: "correo-node")
        defer { storage.remove() }
        let node = try await Self.node(storage: storage.path, store: server.url)
        server.stop()
        // The answer comes when the connection pool gives up on the database (its circuit breaker, 60 s
        // after the first failed connection), past swaks's default 30 s but inside RFC 5321's 5 minutes
        // for RCPT (4.5.3.2.3). (swaks started by Foundation's Process inherited a blocked SIGALRM, so
        // its timeout never fired and this wait went unseen.)
        let swaks = try ChildProcess([
            "swaks", "--timeout", "150", "--server", "127.0.0.1:\(node.ports[0])", "--from", "x@example.net",
            "--to", Self.user,
        ])
        _ = try await swaks.waitForExit(seconds: 180)
        let login = try ChildProcess([
            "python3", "-c",
            "import imaplib,sys\nm=imaplib.IMAP4('127.0.0.1',\(node.ports[1]))\n"
                + "try:\n  m.login(sys.argv[1],sys.argv[2])\nexcept imaplib.IMAP4.error as e:\n  print('NO', e)\n",
            Self.user, Self.password,
        ])
        _ = try await login.waitForExit(seconds: 120)
        let running = node.process.isRunning
        await node.stop()
        #expect(swaks.output.text.contains("451 4.3.0"), "\(swaks.output.text)\n\(node.log)")
        #expect(!swaks.output.text.contains("550"), "\(swaks.output.text)")
        #expect(login.output.text.contains("UNAVAILABLE"), "\(login.output.text) \(login.errors.text)")
        #expect(running)
    }

    /// Newsgroups are the database's: a group made with `correo group add --store` is served by two
    /// nodes at once, over NNTP and IMAP's `#news.`, with one numbering; a POST on node 1, a mail to the
    /// group's address on node 2 and an APPEND on node 2 are seen on both (interop/cluster/news_nodes.py).
    @Test func twoNodesServeOneSetOfNewsgroups() async throws {
        try await PostgresServer.with { server throws in
            let store = try Self.prepare(server)
            let added = try CorreoBinary.run(
                ["group", "add", "misc.test", "--address", "misc@example.com", "--description", "Tests"] + store
            )
            try #require(added.status == 0, "\(added.standardError)")
            let listed = try CorreoBinary.run(["group", "list"] + store)
            #expect(listed.standardOutput == "misc.test\ty\tmisc@example.com\tTests\n", "\(listed.standardError)")

            let (nodes, folders) = try await Self.nodes(2, store: server.url, nntp: true)
            defer { for folder in folders { folder.remove() } }
            let client = try ChildProcess(
                [
                    "python3", CorreoBinary.packageRoot.appendingPathComponent("interop/cluster/news_nodes.py").path,
                    String(nodes[0].ports[3]), String(nodes[1].ports[3]), String(nodes[1].ports[0]),
                    String(nodes[0].ports[1]), String(nodes[1].ports[1]), Self.user, Self.password,
                ]
            )
            let status = try await client.waitForExit(seconds: 120)
            for node in nodes { await node.stop() }
            let report = "\(client.output.text) \(client.errors.text)"
            #expect(status == 0, "\(report)\nnode 1: \(nodes[0].log)\nnode 2: \(nodes[1].log)")
            // Nothing of the groups went to the nodes' storage folders.
            for folder in folders {
                #expect(!FileManager.default.fileExists(atPath: folder.path + "/news/groups.json"))
            }
            let deleted = try CorreoBinary.run(["group", "del", "misc.test"] + store)
            #expect(deleted.status == 0, "\(deleted.standardError)")
            #expect(try CorreoBinary.run(["group", "list"] + store).standardOutput.isEmpty)
        }
    }

    /// The schema migrated and the user added, with the `correo` commands; `--store` and the URL.
    @discardableResult
    static func prepare(_ server: PostgresServer) throws -> [String] {
        let store = ["--store", server.url]
        let migrated = try CorreoBinary.run(["db", "migrate"] + store)
        try #require(migrated.status == 0, "\(migrated.standardError)")
        let added = try CorreoBinary.run(["user", "add", user, "--password-stdin"] + store, input: password + "\n")
        try #require(added.status == 0, "\(added.standardError)")
        return store
    }

    /// `count` nodes on `store`, each with a storage folder of its own (the caller removes them).
    static func nodes(
        _ count: Int,
        store: String,
        extra: [String] = [],
        nntp: Bool = false
    ) async throws -> ([CorreoServerProcess], [TemporaryDirectory]) {
        var nodes: [CorreoServerProcess] = []
        var folders: [TemporaryDirectory] = []
        for _ in 0..<count {
            let storage = try TemporaryDirectory(prefix: "correo-node")
            folders.append(storage)
            do {
                nodes.append(try await node(storage: storage.path, store: store, extra: extra, nntp: nntp))
            } catch {
                for node in nodes { await node.stop() }
                for folder in folders { folder.remove() }
                throw error
            }
        }
        return (nodes, folders)
    }

    /// A node: SMTP, IMAP and submission on free loopback ports, its own storage folder, users and mail in
    /// `store`.
    ///
    /// With `nntp`, NNTP too, on the fourth port.
    static func node(
        storage: String,
        store: String,
        extra: [String] = [],
        nntp: Bool = false
    ) async throws -> CorreoServerProcess {
        try await CorreoServerProcess.start(ports: nntp ? 4 : 3) { ports in
            [
                "serve", "-s", storage, "--store", store, "--domain", "example.com",
                "--smtp-port", String(ports[0]), "--submission-port", String(ports[2]), "--smtps-port", "0",
                "--imap-port", String(ports[1]), "--imaps-port", "0", "--nntp-port", nntp ? String(ports[3]) : "0",
                "--nntps-port", "0", "--bind", "127.0.0.1", "--allow-plaintext-auth", "--no-inbound-auth-checks",
            ] + extra
        }
    }
}

import Foundation
import MailTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 7: `correo serve` started as root on ports below 1024 binds them, gives the storage to the
/// `--user` account and becomes it, in every thread, before serving; mail still flows both ways.
///
/// CI runs as root; run as anyone else, the test checks that `--user` is refused instead.
@Suite(.offThePool) struct PrivilegeDropTests {
    @Test(.timeLimit(.minutes(5)))
    func serveDropsToNobodyAfterBindingPortsBelow1024() async throws {
        // The account must be able to reach the storage folder through its parents: /tmp itself, not
        // a TMPDIR that may lie in root's home.
        let work = "/tmp/correo-privileges-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: work) }
        chmod(work, 0o755)
        let storage = work + "/mail"

        guard getuid() == 0 else {
            let refused = try CorreoBinary.run(["serve", "-s", storage, "--user", "nobody", "--bind", "127.0.0.1"])
            #expect(refused.status != 0)
            #expect(refused.standardError.contains("--user nobody needs correo to start as root"))
            return
        }

        let added = try CorreoBinary.run(
            ["user", "add", "bob@localhost", "-s", storage, "--password-stdin"],
            input: "bob's pass\n"
        )
        try #require(added.status == 0, "\(added.standardError)")

        let (smtpPort, imapPort) = try PrivilegedPorts.twoFree()
        let common = [
            "serve", "-s", storage, "--bind", "127.0.0.1", "--smtp-port", String(smtpPort), "--imap-port",
            String(imapPort), "--submission-port", "0", "--smtps-port", "0", "--imaps-port", "0", "--nntp-port", "0",
            "--nntps-port", "0",
            "--allow-plaintext-auth", "--no-inbound-auth-checks",  // no DNS look-ups outside the test
        ]
        // Without --user, root is refused on these ports.
        let refused = try CorreoBinary.run(common)
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("refusing to serve as root on port \(smtpPort), \(imapPort)"))

        let server = SpawnedProcess()
        server.executableURL = CorreoBinary.url
        server.arguments = common + ["--user", "nobody"]
        let logFile = work + "/serve.log"
        FileManager.default.createFile(atPath: logFile, contents: nil)
        server.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        var ready = false
        // A hang guard, not a speed check: a debug binary on a loaded machine takes its time to start.
        let deadline = ContinuousClock.now + .seconds(120)
        while !ready, server.isRunning, ContinuousClock.now < deadline {
            let status =
                (try? String(contentsOfFile: "/proc/\(server.processIdentifier)/status", encoding: .utf8)) ?? ""
            ready = status.contains("Uid:\t65534\t65534\t65534\t65534")
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(ready && server.isRunning, "correo did not start as nobody")

        // Every thread, the main one included, runs as nobody:nogroup with no other group.
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.processIdentifier)/task")
        #expect(tasks.count > 2)
        for task in tasks {
            let status = try String(
                contentsOfFile: "/proc/\(server.processIdentifier)/task/\(task)/status",
                encoding: .utf8
            )
            #expect(status.contains("Uid:\t65534\t65534\t65534\t65534"), "thread \(task)")
            #expect(status.contains("Gid:\t65534\t65534\t65534\t65534"), "thread \(task)")
            #expect(status.contains("Groups:\t65534 \n"), "thread \(task)")
            #expect(status.contains("CapPrm:\t0000000000000000\n"), "thread \(task)")
            #expect(status.contains("CapEff:\t0000000000000000\n"), "thread \(task)")
        }

        let exchange = try runProgram(
            "/usr/bin/env",
            ["python3", "-c", Self.mailExchange, String(smtpPort), String(imapPort)]
        )
        #expect(exchange.status == 0, "\(exchange.errors)")
        #expect(exchange.output.contains("privilege drop check 7"))

        // What the server wrote after the switch belongs to nobody.
        let delivered = try FileManager.default.subpathsOfDirectory(atPath: storage + "/bob@localhost")
            .filter { $0.hasPrefix("cur/") || $0.hasPrefix("new/") }
        #expect(delivered.count == 1)
        for path in delivered {
            var info = stat()
            #expect(lstat(storage + "/bob@localhost/" + path, &info) == 0 && info.st_uid == 65534)
        }

        // Nothing in the storage folder is open to other local users: folders 0700, files without
        // group or other bits (the public certificate aside, inside the 0700 tls/).
        for path in try FileManager.default.subpathsOfDirectory(atPath: storage) where path != "tls/cert.pem" {
            var info = stat()
            #expect(lstat(storage + "/" + path, &info) == 0)
            let mode = info.st_mode & 0o7777
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            #expect(isDirectory ? mode == 0o700 : mode & 0o077 == 0, "\(path): \(String(mode, radix: 8))")
        }

        // A user added by root while the server runs as nobody can log in at once: what
        // `correo user` wrote was given to the storage folder's owner.
        let carol = try CorreoBinary.run(
            ["user", "add", "carol@localhost", "-s", storage, "--password-stdin"],
            input: "carol pass\n"
        )
        try #require(carol.status == 0, "\(carol.standardError)")
        var passwords = stat()
        #expect(stat(storage + "/passwords.txt", &passwords) == 0 && passwords.st_uid == 65534)
        let login = try runProgram("/usr/bin/env", ["python3", "-c", Self.carolLogin, String(imapPort)])
        #expect(login.status == 0 && login.output.contains("OK"), "\(login.output) \(login.errors)")

        server.terminate()
        server.waitForExit()
        #expect(server.terminationStatus == 0, "\((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")")
    }

    /// Logs in as carol and selects her INBOX; prints the tagged status.
    static let carolLogin = #"""
        import imaplib, sys
        i = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=20)
        i.login("carol@localhost", "carol pass")
        print(i.select("INBOX")[0])
        i.logout()
        """#

    /// Sends a message over SMTP and reads it back over IMAP; prints its body.
    static let mailExchange = #"""
        import imaplib, smtplib, sys
        smtp_port, imap_port = int(sys.argv[1]), int(sys.argv[2])
        s = smtplib.SMTP("127.0.0.1", smtp_port, timeout=20)
        s.sendmail("alice@example.org", ["bob@localhost"],
                   b"From: alice@example.org\r\nSubject: drop\r\n\r\nprivilege drop check 7\r\n")
        s.quit()
        i = imaplib.IMAP4("127.0.0.1", imap_port, timeout=20)
        i.login("bob@localhost", "bob's pass")
        i.select("INBOX")
        typ, data = i.fetch("1", "(BODY[])")
        print(data[0][1].decode())
        i.logout()
        """#
}

/// Free ports below 1024 (binding them needs root), probed by binding.
private enum PrivilegedPorts {
    static func twoFree() throws -> (Int, Int) {
        var found: [Int] = []
        for port in (600..<1000).shuffled() where isFree(port) {
            found.append(port)
            if found.count == 2 { return (found[0], found[1]) }
        }
        throw PrivilegeTestFailure("no two free ports between 600 and 999")
    }

    private static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

private struct PrivilegeTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program to completion; its status, standard output and standard error.
private func runProgram(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String, errors: String)
{
    let process = SpawnedProcess()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Small outputs (a message body, a traceback): reading one pipe after the other cannot block.
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitForExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
}

import Foundation
import MailTestSupport
import Testing

/// Issue 15: internationalised domains as users type them (U-labels) are accepted by `correo cert` and
/// `correo serve --domain`; certificates carry the A-label, and mail to either form of a local domain
/// is delivered to the same mailbox.
@Suite(.offThePool) struct IDNCommandTests {
    @Test func certTakesAULabelAndWritesTheALabel() async throws {
        let folder = try TemporaryDirectory(prefix: "correo-idn-cert")
        defer { folder.remove() }
        let result = try CorreoBinary.run(["cert", "--host", "bücher.example", "--output", folder.path])
        #expect(result.status == 0, "\(result.standardError)")
        let text = try await outputOf([
            "openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", folder.path + "/cert.pem",
        ])
        #expect(text.contains("DNS:xn--bcher-kva.example"), "\(text)")

        let bad = try CorreoBinary.run(["cert", "--host", "bü cher.example", "--output", folder.path])
        #expect(bad.status == 64)
        #expect(bad.standardError.contains("--host bü cher.example is not a domain name"), "\(bad.standardError)")

        // What UTS #46 maps: full-width letters and a soft hyphen; a label RFC 5891 refuses, with the rule.
        let wide = try CorreoBinary.run(["cert", "--host", "ＢÜＣＨ\u{00AD}ER.example", "--output", folder.path])
        #expect(
            wide.standardOutput.contains("for xn--bcher-kva.example"),
            "\(wide.standardOutput) \(wide.standardError)"
        )
        let hyphens = try CorreoBinary.run(["cert", "--host", "üb--er.example", "--output", folder.path])
        #expect(hyphens.status == 64)
        #expect(
            hyphens.standardError.contains(
                "label \"üb--er\" has hyphens in the third and fourth positions"
            ),
            "\(hyphens.standardError)"
        )
    }

    @Test(.timeLimit(.minutes(5)))
    func bothFormsOfALocalDomainDeliver() async throws {
        let storage = try TemporaryDirectory(prefix: "correo-idn")
        defer { storage.remove() }
        let added = try CorreoBinary.run(
            ["user", "add", "bob@bücher.example", "-s", storage.path, "--password-stdin"],
            input: "pass word\n"
        )
        try #require(added.status == 0, "\(added.standardError)")
        let server = try await CorreoServerProcess.start { ports in
            [
                "serve", "-s", storage.path, "--domain", "bücher.example", "--smtp-port", String(ports[0]),
                "--submission-port", "0", "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port",
                "0", "--nntps-port", "0",
                "--bind", "127.0.0.1",
            ]
        }
        let script = """
            import socket, sys
            s = socket.create_connection(('127.0.0.1', \(server.port)), timeout=20)
            f = s.makefile('rb')
            def reply():
                while True:
                    line = f.readline().decode()
                    if len(line) < 4 or line[3] != '-':
                        return line.strip()
            def say(text):
                s.sendall(text.encode() + b'\\r\\n')
                return reply()
            reply()
            say('EHLO client.example')
            for rcpt in ['bob@xn--bcher-kva.example', 'bob@bücher.example']:
                print(say('MAIL FROM:<a@example.org> SMTPUTF8'))
                print(say('RCPT TO:<' + rcpt + '>'))
                print(say('DATA'))
                print(say('Subject: to ' + rcpt + '\\r\\n\\r\\nhi\\r\\n.'))
            print(say('QUIT'))
            """
        let conversation = try await outputOf(["python3", "-c", script])
        await server.stop()
        let replies = conversation.split(separator: "\n").map { String($0.prefix(3)) }
        #expect(
            replies == ["250", "250", "354", "250", "250", "250", "354", "250", "221"],
            "\(conversation)\n\(server.log)"
        )
        let newMail = storage.url.appendingPathComponent("bob@xn--bcher-kva.example/new").path
        #expect(try FileManager.default.contentsOfDirectory(atPath: newMail).count == 2)
        // The generated certificate names the domain as its A-label.
        let san = try await outputOf([
            "openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", storage.path + "/tls/cert.pem",
        ])
        #expect(san.contains("DNS:xn--bcher-kva.example"), "\(san)")
    }
}

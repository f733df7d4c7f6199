import Foundation
import MailTestSupport
import Testing

/// Issue 17's release: `POST /api/messages/{id}/release` sends a message `correo serve --dev` captured on
/// through the real relay (the outbound queue and its runner, here to a smarthost: aiosmtpd with
/// STARTTLS on 127.0.0.1), to allow-listed addresses only.
@Suite(.offThePool) struct DevReleaseTests {
    /// `curl` of one API request: the status code and the body.
    func call(_ url: String, method: String = "GET", body: String? = nil) async throws -> (status: Int, body: String) {
        var arguments = ["curl", "-s", "-w", "\n%{http_code}", "-X", method]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let output = try await outputOf(arguments + [url])
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test(.timeLimit(.minutes(5)))
    func aReleasedMessageReachesTheSmarthostSignedAndOnlyAllowedAddressesAreTaken() async throws {
        let work = try TemporaryDirectory(prefix: "correo-dev-release")
        defer { work.remove() }
        let storage = work.path + "/store"
        // A DKIM key of the From domain: the relay signs what it sends, as it does for submitted mail.
        let keys = try CorreoBinary.run(["dkim", "keygen", "shop.example", "--algorithm", "ed25519", "-s", storage])
        try #require(keys.status == 0, "\(keys.standardError)")
        let smarthostTLS = try TestTLS.make(in: work)
        let outdir = work.url.appendingPathComponent("sink")
        try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
        let sink = try SMTPSink(outdir: outdir, tls: smarthostTLS)
        defer { sink.stop() }
        let server = try await CorreoServerProcess.start(ports: 2) { ports in
            [
                "serve", "--dev", "-s", storage, "--smtp-port", String(ports[0]), "--submission-port", "0",
                "--imap-port", "0", "--imaps-port", "0", "--http-port", String(ports[1]),
                "--dev-release-allow", "*@example.com", "--dev-release-allow", "qa@partner.example",
                "--relay-host", "127.0.0.1:\(sink.port)", "--relay-cafile", smarthostTLS.certificatePath,
                // A first attempt deferred on a loaded machine is retried within seconds, not minutes.
                "--queue-retry-min", "1", "--queue-retry-max", "2",
            ]
        }
        let api = "http://127.0.0.1:\(server.ports[1])/api/messages"
        do {
            let swaks = try ChildProcess([
                "swaks", "--server", "127.0.0.1:\(server.port)", "--from", "orders@shop.example",
                "--to", "a@example.com,b@customer.example", "--header", "From: Shop <orders@shop.example>",
                "--header", "Subject: Order 4711 shipped", "--body", "Your parcel is on its way.",
            ])
            let sent = try await swaks.waitForExit(seconds: 30)
            try #require(sent == 0, "swaks: \(swaks.output.text) \(swaks.errors.text)")
            let waited = try await call(api + "/wait?to=a@example.com&timeout=20")
            try #require(waited.status == 200, "\(waited)")
            let summary = try JSONSerialization.jsonObject(with: Data(waited.body.utf8)) as? [String: Any]
            let id = try #require(summary?["id"] as? String, "\(waited.body)")

            // To its own recipients: one of them is not allowed, so nothing is queued, and the answer names it.
            let own = try await call(api + "/\(id)/release", method: "POST")
            #expect(own.status == 403, "\(own)")
            #expect(own.body.contains("b@customer.example"), "\(own.body)")
            let mixed = try await call(
                api + "/\(id)/release",
                method: "POST",
                body: #"{"to": ["dev@example.com", "boss@elsewhere.example"]}"#
            )
            #expect(mixed.status == 403, "\(mixed)")
            #expect(mixed.body.contains("boss@elsewhere.example"), "\(mixed.body)")
            #expect(try await call(api + "/99999/release", method: "POST").status == 404)
            #expect(try await call(api + "/\(id)/release", method: "POST", body: #"{"to": "x"}"#).status == 400)
            #expect(
                try await call(api + "/\(id)/release", method: "POST", body: #"{"to": ["no-at-sign"]}"#).status == 400
            )
            #expect(try await call(api + "/\(id)/release", method: "POST", body: "not json").status == 400)

            let released = try await call(
                api + "/\(id)/release",
                method: "POST",
                body: #"{"to": ["dev@example.com", "QA@partner.example"]}"#
            )
            #expect(released.status == 202, "\(released)")
            let answer = try JSONSerialization.jsonObject(with: Data(released.body.utf8)) as? [String: Any]
            #expect((answer?["queued"] as? [String])?.count == 1, "\(released.body)")
            #expect(answer?["sender"] as? String == "orders@shop.example", "\(released.body)")

            let relayed = try await waitUntil(seconds: 60) {
                !sink.messages(for: "dev@example.com").isEmpty && !sink.messages(for: "QA@partner.example").isEmpty
            }
            try #require(relayed, "\(sink.messageFiles)\n\(server.log)")
            let copy = String(decoding: sink.messages(for: "dev@example.com")[0], as: UTF8.self)
            #expect(copy.contains("Subject: Order 4711 shipped"), "\(copy)")
            #expect(copy.contains("Your parcel is on its way."), "\(copy)")
            // Signed by the relay with the From domain's key, above the dev server's own trace line.
            #expect(copy.hasPrefix("DKIM-Signature:"), "\(copy)")
            #expect(copy.contains("d=shop.example"), "\(copy)")
            #expect(copy.contains("(correo) with ESMTP"), "\(copy)")
            // The dev store's Return-Path is the final delivery's, not sent on (RFC 5321 §4.4).
            #expect(!copy.contains("Return-Path:"), "\(copy)")
            // Nothing went to the refused or the original addresses.
            #expect(
                Set(sink.messageFiles) == ["dev@example.com.eml", "QA@partner.example.eml"],
                "\(sink.messageFiles)"
            )
            #expect(server.log.contains("release through the relay allowed to *@example.com, qa@partner.example"))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

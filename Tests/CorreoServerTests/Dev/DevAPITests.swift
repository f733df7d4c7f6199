import CorreoServer
import Foundation
import HTTPServer
import MailStore
import MailTestSupport
import NIOHTTP1
import SMTPServer
import Synchronization
import Testing

/// The API's routes on a real store, through the router the listener serves: parsing to JSON, the
/// long-poll, errors, and ids that cannot leave the store.
@Suite(.offThePool) struct DevAPITests {
    static let multipart = """
        From: "Example App" <noreply@app.example>
        To: Alice <alice@customer.example>, bob@customer.example
        Cc: audit@customer.example
        Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=
        Date: Thu, 03 Dec 2026 18:00:00 +0000
        Message-ID: <m1@app.example>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="outer"

        --outer
        Content-Type: multipart/alternative; boundary="inner"

        --inner
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: quoted-printable

        Gr=C3=BC=C3=9Fe, Alice
        --inner
        Content-Type: text/html; charset=utf-8

        <p>Hello <b>Alice</b></p>
        --inner--
        --outer
        Content-Type: application/pdf; name="invoice.pdf"
        Content-Disposition: attachment; filename="invoice.pdf"
        Content-Transfer-Encoding: base64

        JVBERi0xLjQK
        --outer--
        """

    func router(_ fixture: DevFixture) -> HTTPRouter {
        var router = HTTPRouter()
        DevAPI.addRoutes(to: &router, messages: fixture.messages)
        return router
    }

    func get(_ router: HTTPRouter, _ target: String, method: HTTPMethod = .GET) async -> HTTPResponse {
        await router.respond(to: HTTPRequest(method: method, target: target))
    }

    func json(_ response: HTTPResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test func aMessageParsesToJSON() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        try await fixture.deliver(Self.multipart, to: ["alice@customer.example"])
        let router = router(fixture)
        let list = try json(await get(router, "/api/messages"))
        let first = try #require((list["messages"] as? [[String: Any]])?.first)
        let id = try #require(first["id"] as? String)
        let response = await get(router, "/api/messages/\(id)")
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == ["application/json"])
        let message = try json(response)
        #expect(message["subject"] as? String == "Grüße")
        #expect(message["text"] as? String == "Grüße, Alice")
        #expect(message["html"] as? String == "<p>Hello <b>Alice</b></p>")
        #expect(message["date"] as? String == "2026-12-03T18:00:00Z")
        #expect(message["messageID"] as? String == "<m1@app.example>")
        let from = try #require(message["from"] as? [[String: String]])
        #expect(from == [["name": "Example App", "address": "noreply@app.example"]])
        #expect(
            (message["to"] as? [[String: String]])?.map { $0["address"] } == [
                "alice@customer.example", "bob@customer.example",
            ]
        )
        #expect((message["cc"] as? [[String: String]])?.map { $0["address"] } == ["audit@customer.example"])
        let attachments = try #require(message["attachments"] as? [[String: Any]])
        #expect(attachments.count == 1)
        #expect(attachments.first?["name"] as? String == "invoice.pdf")
        #expect(attachments.first?["type"] as? String == "application/pdf")
        #expect(attachments.first?["size"] as? Int == 9)
        let attachment = await get(router, "/api/messages/\(id)/attachments/0")
        #expect(attachment.body == Array("%PDF-1.4\n".utf8))
        #expect(attachment.headers["Content-Disposition"] == ["attachment; filename=\"invoice.pdf\""])
        let raw = await get(router, "/api/messages/\(id)/raw")
        #expect(raw.headers["Content-Type"] == ["message/rfc822"])
        #expect(String(decoding: raw.body, as: UTF8.self).hasPrefix("From: \"Example App\""))
    }

    @Test func idsThatAreNotTheStoresNumbersAreRefused() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        try await fixture.deliver(DevFixture.mail(to: "a@b.example", subject: "x"), to: ["a@b.example"])
        let router = router(fixture)
        for target in [
            "/api/messages/..%2F..%2Fpasswords.txt", "/api/messages/..%2Fpasswords.txt/raw", "/api/messages/%2E%2E/raw",
            "/api/messages/1%2F..%2F..%2Fx/raw", "/api/messages/-1", "/api/messages/1e3", "/api/messages/%EF%BC%91",
            "/api/messages/99999999999", "/api/messages/1/attachments/..%2F..%2Fetc%2Fpasswd",
            "/api/messages/1/attachments/7",
        ] {
            let response = await get(router, target)
            #expect(response.status == .notFound, "\(target)")
            #expect(try json(response)["error"] as? String != nil, "\(target)")
        }
        // A "/" inside a parameter never reaches a handler as a path: the pattern does not match at all.
        #expect(await get(router, "/api/messages/1/../../passwords.txt").status == .notFound)
    }

    @Test func malformedParametersGetAClearJSONError() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        let router = router(fixture)
        let response = await get(router, "/api/messages/wait?timeout=100000")
        #expect(response.status == .badRequest)
        #expect((try json(response)["error"] as? String)?.contains("timeout=100000") == true)
        #expect(await get(router, "/api/messages?since=yesterday").status == .badRequest)
        #expect(await get(router, "/api/messages?limit=0").status == .badRequest)
        #expect(await get(router, "/api/messages?since=").status == .badRequest)
        for time in [
            "2000-01-01T00:00:00Z", "2000-01-01t00:00:00.123456789z", "0445-04-15T22:09:51.3-21:35", "1733248800.5",
        ] {
            #expect(await get(router, "/api/messages?since=\(time)").status == .ok, "\(time)")
        }
        for time in ["2000-01-01T00:00:00", "2000-13-01T00:00:00Z", "2000-01-01T00:00:00+5:00"] {
            #expect(await get(router, "/api/messages?before=\(time)").status == .badRequest, "\(time)")
        }
        // Allow names exactly the methods of the path, never those of a pattern an exact route shadows.
        #expect(await get(router, "/api/messages", method: .OPTIONS).headers["Allow"] == ["GET, HEAD, DELETE"])
        #expect(await get(router, "/api/messages/wait", method: .DELETE).headers["Allow"] == ["GET, HEAD"])
        #expect(await get(router, "/api/messages/7", method: .PUT).headers["Allow"] == ["GET, HEAD, DELETE"])
        let wrongMethod = await get(router, "/api/messages/1/raw", method: .DELETE)
        #expect(wrongMethod.status == .methodNotAllowed)
        #expect(wrongMethod.headers["Allow"] == ["GET, HEAD"])
    }

    @Test(.timeLimit(.minutes(5))) func waitTimesOutWithNoContent() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        let started = ContinuousClock.now
        let response = await get(router(fixture), "/api/messages/wait?to=nobody@nowhere.example&timeout=1")
        let waited = ContinuousClock.now - started
        #expect(response.status == .noContent)
        #expect(response.body.isEmpty)
        // Not before the timeout. No upper bound: with the whole suite running, the test's own tasks can
        // wait long for a thread of the cooperative pool (seen: 100 s on a loaded machine), which says
        // nothing about the server.
        #expect(waited >= .milliseconds(900), "\(waited)")
    }

    @Test(.timeLimit(.minutes(5))) func waitAnswersWhenTheMessageArrives() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        try await fixture.deliver(DevFixture.mail(to: "early@b.example", subject: "Too early"), to: ["early@b.example"])
        let router = router(fixture)
        // The longest wait the API allows: with the whole suite on two cores, the arrival has been seen
        // to reach the waiting request more than 30 s after the delivery (a CI run), which says nothing
        // about the API.
        async let waited = get(router, "/api/messages/wait?to=late%40b.example&timeout=120")
        try await Task.sleep(for: .milliseconds(300))
        try await fixture.deliver(
            DevFixture.mail(to: "late@b.example", subject: "Right on time"),
            to: ["late@b.example"]
        )
        let response = await waited
        #expect(response.status == .ok)
        #expect(try json(response)["subject"] as? String == "Right on time")
        // Already there: answered at once.
        let again = await get(router, "/api/messages/wait?to=late%40b.example&timeout=30")
        #expect(try json(again)["subject"] as? String == "Right on time")
    }

    @Test func faultsAreListedReplacedAndCleared() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        var router = HTTPRouter()
        let script = SMTPFaultScript()
        DevAPI.addRoutes(to: &router, messages: fixture.messages, faults: script)
        var put = HTTPRequest(method: .PUT, target: "/api/faults")
        put.body = Array("RCPT to=x@* times=2 452 4.2.2 Busy\n# a comment\n\nDATA close-after=100\n".utf8)
        let replaced = await router.respond(to: put)
        #expect(replaced.status == .ok)
        #expect(script.faults.map(\.description) == ["RCPT to=x@* times=2 452 4.2.2 Busy", "DATA close-after=100"])
        let listed = try json(await get(router, "/api/faults"))
        #expect(listed["faults"] as? [String] == ["RCPT to=x@* times=2 452 4.2.2 Busy", "DATA close-after=100"])
        // A bad line refuses the whole request and keeps the script.
        put.body = Array(#"["MAIL rate=2/min", "FETCH 452"]"#.utf8)
        let refused = await router.respond(to: put)
        #expect(refused.status == .badRequest)
        let error = try json(refused)["error"] as? String ?? ""
        #expect(error.hasPrefix(#"fault "FETCH 452": FETCH is not an SMTP command"#), "\(error)")
        #expect(script.faults.count == 2)
        #expect(await get(router, "/api/faults", method: .DELETE).status == .ok)
        #expect(script.faults.isEmpty)
    }

    @Test func releaseQueuesACopyForAllowedAddressesOnly() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        let text = "Return-Path: <app@app.example>\n" + DevFixture.mail(to: "a@example.com", subject: "Out")
        try await fixture.deliver(text, to: ["a@example.com", "b@customer.example"])
        let woken = Mutex<[String]>([])
        var router = HTTPRouter()
        let release = DevRelease(allow: ["*@example.com"], store: fixture.store) { id in
            woken.withLock { $0.append(id) }
        }
        DevAPI.addRoutes(to: &router, messages: fixture.messages, release: release)
        func post(_ id: String, _ body: String) async -> HTTPResponse {
            var request = HTTPRequest(method: .POST, target: "/api/messages/\(id)/release")
            request.body = Array(body.utf8)
            return await router.respond(to: request)
        }

        let own = await post("1", "")
        #expect(own.status == .forbidden)
        #expect(
            try json(own)["error"] as? String == "b@customer.example is not on the release allow-list (*@example.com)"
        )
        #expect(await post("2", "").status == .notFound)
        for bad in [#"{"to": []}"#, #"{"to": ["a@b@c"]}"#, #"{"to": [7]}"#, #"{"cc": ["a@example.com"]}"#, "[1]", "{"] {
            #expect(await post("1", bad).status == .badRequest, "\(bad)")
        }
        #expect(try fixture.store.queue.list().isEmpty)

        let released = await post("1", #"{"to": ["X@Example.com"]}"#)
        #expect(released.status == .accepted)
        let queued = try #require(try json(released)["queued"] as? [String])
        #expect(woken.withLock { $0 } == queued)
        let envelope = try #require(try fixture.store.queue.envelope(queued[0]))
        #expect(envelope.sender == "app@app.example")
        #expect(envelope.recipients.map(\.address) == ["X@Example.com"])
        // No DSN can go to the captured sender, who was never allowed.
        #expect(envelope.recipients.allSatisfy { $0.notify == .never })
        let bytes = String(decoding: try fixture.store.queue.message(queued[0]), as: UTF8.self)
        #expect(bytes.hasPrefix("From: App <app@app.example>\r\n"), "\(bytes)")
    }

    @Test func releaseIsRefusedWithoutAnAllowList() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        try await fixture.deliver(DevFixture.mail(to: "a@example.com", subject: "Kept"), to: ["a@example.com"])
        var request = HTTPRequest(method: .POST, target: "/api/messages/1/release")
        request.body = Array(#"{"to": ["a@example.com"]}"#.utf8)
        let answer = await router(fixture).respond(to: request)
        #expect(answer.status == .forbidden)
        #expect((try json(answer)["error"] as? String)?.contains("--dev-release-allow") == true)
    }

    @Test func theOpenAPIDocumentNamesEveryRoute() async throws {
        let fixture = try DevFixture()
        defer { fixture.folder.remove() }
        let router = router(fixture)
        let document = try json(await get(router, "/api/openapi.json"))
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        let apiRoutes = Set(router.paths.filter { $0.hasPrefix("/api/") })
        #expect(Set(paths.keys) == apiRoutes)
    }
}

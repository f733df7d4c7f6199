import DNS
import Foundation
import Logging
import MailAuth
import MailStore
import MailTestSupport
import NIOCore
import SMTPServer
import Testing

@testable import CorreoServer

/// Issue 13: the sender checks at local delivery, over a real store, with SPF and DMARC records from a
/// zone held in memory (the CLI test serves the same records from dnsmasq).
@Suite(.offThePool) struct InboundAuthenticationTests {
    /// TXT records only: every other look-up is NXDOMAIN.
    struct TXTZone: MailAuthResolving {
        var records: [String: String] = [
            "pass.test": "v=spf1 ip4:127.0.0.1 -all", "_dmarc.pass.test": "v=DMARC1; p=reject",
            "reject.test": "v=spf1 -all", "_dmarc.reject.test": "v=DMARC1; p=reject",
            "junk.test": "v=spf1 -all", "_dmarc.junk.test": "v=DMARC1; p=quarantine",
        ]

        func txt(_ name: String) async throws(DNSError) -> DNSResult<TXTRecord> {
            guard let text = records[name.lowercased()] else { return .nxdomain }
            return .records([TXTRecord(strings: [Array(text.utf8)])])
        }
        func addresses(_ host: String) async throws(DNSError) -> DNSResult<IPAddress> { .nxdomain }
        func mx(_ domain: String) async throws(DNSError) -> DNSResult<MXRecord> { .nxdomain }
        func ptr(_ address: IPAddress) async -> DNSResult<DNSName> { .nxdomain }
    }

    static let user = "bob@local.test"

    static func inbound(
        maximumCheckedSize: Int = InboundAuthentication.defaultMaximumCheckedSize,
        exempt: [String] = [],
        checks: MessageAuthenticator.Checks = .all
    ) -> InboundAuthentication {
        InboundAuthentication(
            authenticator: MessageAuthenticator(
                authservID: "mx.local.test",
                resolver: TXTZone(),
                checks: checks,
                sample: { 0 }
            ),
            maximumCheckedSize: maximumCheckedSize,
            exemptNetworks: exempt.compactMap(InboundAuthentication.network),
            logger: Logger(label: "test")
        )
    }

    static func origin(_ domain: String, user: String? = nil) -> SMTPMessageOrigin {
        SMTPMessageOrigin(
            clientAddress: "127.0.0.1",
            heloName: "client.\(domain)",
            sender: "alice@\(domain)",
            authenticatedUser: user
        )
    }

    static func message(from domain: String, extra: String = "") -> String {
        "Received: from client.\(domain) ([127.0.0.1])\r\n\(extra)From: Alice <alice@\(domain)>\r\nTo: <bob@local.test>\r\n"
            + "Subject: checks\r\n\r\nHello Bob.\r\n"
    }

    /// Receives `text` as `origin` through MailStoreDelivery; returns what the INBOX and Junk hold.
    static func deliver(
        _ text: String,
        origin: SMTPMessageOrigin,
        in directory: TemporaryDirectory,
        inbound: InboundAuthentication = inbound()
    ) async throws -> (inbox: [String], junk: [String]) {
        let store = MailStore(root: directory.url)
        try store.createUserMaildir(user)
        let delivery = MailStoreDelivery(store: store, inbound: inbound)
        let message = try await delivery.beginMessage()
        try await message.write(ByteBuffer(string: text))
        do {
            try await message.deliver(to: [user], origin: origin)
        } catch {
            await message.discard()
            throw error
        }
        let folder = { (path: String) in
            try FileManager.default.contentsOfDirectory(atPath: directory.path + "/\(user)/\(path)").map {
                try String(contentsOfFile: directory.path + "/\(user)/\(path)/\($0)", encoding: .utf8)
            }
        }
        return (try folder("new") + folder("cur"), try folder(".Junk/new") + folder(".Junk/cur"))
    }

    /// Expects `receive` (a delivery or queueing of reject.test's message) to be refused for its DMARC policy.
    static func expectRejectRefusal(_ receive: () async throws -> Void) async throws {
        do {
            try await receive()
            Issue.record("accepted")
        } catch SMTPDeliveryError.refused(let reason) {
            #expect(reason.hasPrefix("Message refused: DMARC policy of reject.test is reject"), "\(reason)")
        }
    }

    @Test func passingMailGetsTheFieldAndAForgedOneIsRemoved() async throws {
        try await TemporaryDirectory.with { directory in
            let forged = "Authentication-Results: mx.local.test; dmarc=pass\r\n"
            let text = Self.message(from: "pass.test", extra: forged)
            let stored = try await Self.deliver(text, origin: Self.origin("pass.test"), in: directory)
            #expect(stored.junk.isEmpty)
            let delivered = try #require(stored.inbox.first)
            #expect(stored.inbox.count == 1)
            #expect(delivered.hasPrefix("Authentication-Results: mx.local.test;\r\n\tspf=pass"), "\(delivered)")
            #expect(delivered.contains("\tdmarc=pass"))
            #expect(delivered.components(separatedBy: "Authentication-Results:").count == 2, "\(delivered)")
            #expect(delivered.hasSuffix(Self.message(from: "pass.test")))
            // Nothing left in the store's tmp/: the received copy was dropped for the checked one.
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/tmp").isEmpty)
        }
    }

    @Test func rejectPolicyRefusesAndDeliversNothing() async throws {
        try await TemporaryDirectory.with { directory in
            try await Self.expectRejectRefusal {
                _ = try await Self.deliver(
                    Self.message(from: "reject.test"),
                    origin: Self.origin("reject.test"),
                    in: directory
                )
            }
            let user = directory.path + "/\(Self.user)"
            for folder in ["new", "cur", ".Junk/new", ".Junk/cur"] {
                #expect(try FileManager.default.contentsOfDirectory(atPath: user + "/" + folder).isEmpty, "\(folder)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/tmp").isEmpty)
        }
    }

    @Test func quarantinePolicyDeliversIntoJunk() async throws {
        try await TemporaryDirectory.with { directory in
            let stored = try await Self.deliver(
                Self.message(from: "junk.test"),
                origin: Self.origin("junk.test"),
                in: directory
            )
            #expect(stored.inbox.isEmpty)
            #expect(stored.junk.count == 1)
            #expect(stored.junk.first?.hasPrefix("Authentication-Results: mx.local.test;\r\n\tspf=fail") == true)
            #expect(stored.junk.first?.contains("dmarc=fail") == true)
        }
    }

    @Test func junkFolderIsMadeWhenMissing() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url)
            try store.createUserMaildir(Self.user)
            try FileManager.default.removeItem(atPath: directory.path + "/\(Self.user)/.Junk")
            let junk = try await store.junkMailbox(user: Self.user)
            #expect(junk.name == (try MailboxName(["Junk"])))
            #expect(FileManager.default.fileExists(atPath: directory.path + "/\(Self.user)/.Junk/new"))
        }
    }

    @Test func authenticatedMailIsNotChecked() async throws {
        try await TemporaryDirectory.with { directory in
            let text = Self.message(from: "reject.test")
            let stored = try await Self.deliver(
                text,
                origin: Self.origin("reject.test", user: "alice@reject.test"),
                in: directory
            )
            #expect(stored.inbox == [text])
        }
    }

    @Test func mailOverTheSizeLimitIsDeliveredUnchecked() async throws {
        try await TemporaryDirectory.with { directory in
            let text = Self.message(from: "reject.test")
            let inbound = Self.inbound(maximumCheckedSize: 40)
            let stored = try await Self.deliver(
                text,
                origin: Self.origin("reject.test"),
                in: directory,
                inbound: inbound
            )
            #expect(stored.inbox == [text])
        }
    }

    @Test func mailFromAnExemptNetworkIsDeliveredUnchecked() async throws {
        try await TemporaryDirectory.with { directory in
            let text = Self.message(from: "reject.test")
            let inbound = Self.inbound(exempt: CorreoConfiguration.defaultInboundAuthExempt)
            let stored = try await Self.deliver(
                text,
                origin: Self.origin("reject.test"),
                in: directory,
                inbound: inbound
            )
            #expect(stored.inbox == [text])
        }
    }

    @Test func exemptNetworksParseBothFamiliesAndRefuseNonsense() throws {
        let v4 = try #require(InboundAuthentication.network("192.0.2.0/24"))
        #expect(v4.contains(try #require(IPAddress("192.0.2.77"))))
        #expect(!v4.contains(try #require(IPAddress("198.51.100.1"))))
        let v6 = try #require(InboundAuthentication.network("2001:db8::/32"))
        #expect(v6.contains(try #require(IPAddress("2001:db8:1::25"))))
        #expect(!v6.contains(try #require(IPAddress("192.0.2.77"))))
        for nonsense in ["192.0.2.0/33", "example.test", "", "2001:db8::/129"] {
            #expect(InboundAuthentication.network(nonsense) == nil, "\(nonsense)")
        }
        var configuration = CorreoConfiguration(storage: URL(fileURLWithPath: "/tmp"))
        configuration.inboundAuthExempt = ["192.0.2.0/24", "bad"]
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }

    @Test func largeMessageIsReadBackFromTheTemporaryFile() async throws {
        // Over MailStore's 64 KiB write buffer: part of it is on disk when the check reads it back.
        try await TemporaryDirectory.with { directory in
            let body = String(
                repeating: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n",
                count: 3000
            )
            let text = Self.message(from: "pass.test") + body
            let stored = try await Self.deliver(text, origin: Self.origin("pass.test"), in: directory)
            let delivered = try #require(stored.inbox.first)
            #expect(delivered.hasSuffix(text))
            #expect(delivered.contains("dmarc=pass"))
        }
    }

    /// The log line of the junk.test message checked with `checks`.
    static func summary(_ checks: MessageAuthenticator.Checks = .all) async throws -> String {
        let inbound = Self.inbound(checks: checks)
        let verdict = await inbound.authenticator.check(
            Array(Self.message(from: "junk.test").utf8),
            client: try #require(IPAddress("127.0.0.1")),
            helo: "client.junk.test",
            mailFrom: "alice@junk.test"
        )
        return inbound.summary(verdict, client: "127.0.0.1")
    }

    @Test func logLineNamesEveryResultAndNoContent() async throws {
        #expect(
            try await Self.summary()
                == "sender checks client=127.0.0.1 spf=fail dkim=none dmarc=fail from=junk.test disposition=quarantine"
        )
    }

    @Test func logLineSaysWhichChecksWereOff() async throws {
        #expect(
            try await Self.summary(.init(dkim: false, dmarc: false))
                == "sender checks client=127.0.0.1 spf=fail dkim=off dmarc=off from=- disposition=none"
        )
        #expect(
            try await Self.summary(.init(spf: false, dkim: false))
                == "sender checks client=127.0.0.1 spf=off dkim=off dmarc=skipped from=- disposition=none"
        )
    }
}

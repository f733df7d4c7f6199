import DNS
import Foundation
import MailAuth
import MailStore
import MailTestSupport
import Testing

@testable import Relay

/// DKIM signing in the queue runner: a submitted message leaves signed with the keys of its From domain
/// in STORAGE/dkim/, anything else leaves as it was queued.
@Suite(.offThePool) struct DKIMSigningTests {
    /// The key records, for the verifier (the real resolver is tested in MailAuthTests with dnsmasq).
    struct Keys: MailAuthResolving {
        var records: [String: String]
        func txt(_ name: String) async throws(DNSError) -> DNSResult<TXTRecord> {
            records[name].map { .records([TXTRecord(strings: [Array($0.utf8)])]) } ?? .nxdomain
        }
        func addresses(_ host: String) async throws(DNSError) -> DNSResult<IPAddress> { .nxdomain }
        func mx(_ domain: String) async throws(DNSError) -> DNSResult<MXRecord> { .nxdomain }
        func ptr(_ address: IPAddress) async -> DNSResult<DNSName> { .nxdomain }
    }

    @Test func submittedMailLeavesSignedAndOnlyIt() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url.appendingPathComponent("storage"))
            let keyring = DKIMKeyring(folder: store.root.appendingPathComponent("dkim"))
            let ed = try keyring.generate(domain: "a.test", selector: "k-ed", algorithm: .ed25519SHA256)
            let rsa = try keyring.generate(domain: "a.test", selector: "k-rsa", algorithm: .rsaSHA256)
            let sink = try SMTPSink(outdir: try QueueRunnerTests.folder(directory, "sink"))
            defer { sink.stop() }
            let clock = TestClock()
            let resolver = TableResolver(
                mx: ["b.test": .records([.init(preference: 10, host: "mx.b.test")])],
                hosts: ["mx.b.test": .records(["127.0.0.1"])]
            )
            for (recipient, submitter) in [("signed@b.test", "alice@a.test" as String?), ("plain@b.test", nil)] {
                let envelope = QueueEnvelope(
                    id: OutboundQueue.newID(now: clock.now),
                    sender: "alice@a.test",
                    recipients: [QueuedRecipient(address: recipient)],
                    arrival: clock.now,
                    submitter: submitter
                )
                try store.queue.enqueue(bytes: QueueRunnerTests.message(to: recipient), envelope: envelope)
            }
            _ = await QueueRunnerTests.runner(store: store, port: sink.port, resolver: resolver, clock: clock).pass()

            let signed = try #require(sink.messages(for: "signed@b.test").first)
            let keys = Keys(records: ["k-ed._domainkey.a.test": ed.keyRecord, "k-rsa._domainkey.a.test": rsa.keyRecord])
            let results = await DKIMVerifier(resolver: keys).verify(
                Array(signed),
                now: Int(clock.now.timeIntervalSince1970)
            )
            #expect(results.map(\.status) == [.pass, .pass])
            #expect(results.map(\.selector) == ["k-ed", "k-rsa"])
            let plain = try #require(sink.messages(for: "plain@b.test").first)
            #expect(!String(decoding: plain, as: UTF8.self).contains("DKIM-Signature"))
        }
    }
}

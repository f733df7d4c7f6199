import Foundation
import Logging
import MTASTS
import MailStore
import MailTestSupport
import SMTPClient
import Testing

@testable import Relay

/// The TXT records of a test.
struct TXTFixture: TXTResolving {
    var records: [String: [String]]
    func txtAnswer(_ name: String) async -> TXTAnswer { records[name].map { .texts($0) } ?? .none }
}

/// A policy server that serves one body (the HTTPS fetch itself is shown in the lab).
struct FixedPolicy: STSPolicyFetching {
    var body: String
    func fetchPolicy(domain: String) async throws(STSFetchError) -> String { body }
}

/// The relay under an MTA-STS policy, against a real SMTP peer (aiosmtpd on 127.0.0.1): `enforce` defers
/// what cannot go over verified TLS, `testing` delivers and reports, and the day's TLS-RPT report goes
/// out through the queue.
@Suite(.offThePool) struct MTASTSDeliveryTests {
    struct Setup {
        let store: MailStore
        let runner: QueueRunner
        let ledger: TLSReportLedger
        let clock: TestClock
        let envelope: QueueEnvelope
    }

    static func setup(_ directory: TemporaryDirectory, sinkPort: Int, policy: String) throws -> Setup {
        let store = MailStore(root: directory.url.appendingPathComponent("storage"))
        let clock = TestClock()
        let txt = TXTFixture(records: [
            "_mta-sts.b.test": ["v=STSv1; id=20260101"],
            "_smtp._tls.b.test": ["v=TLSRPTv1; rua=mailto:tlsrpt@b.test,https://reports.b.test/tlsrpt"],
        ])
        var logger = Logger(label: "test.relay")
        logger.logLevel = .error
        let ledger = TLSReportLedger(folder: store.root.appendingPathComponent("tls-rpt"))
        let security = OutboundTransportSecurity(
            policies: STSPolicyResolver(
                dns: txt,
                fetcher: FixedPolicy(body: policy),
                cache: STSPolicyCache(folder: store.root.appendingPathComponent("mta-sts")),
                logger: logger,
                clock: { clock.now }
            ),
            ledger: ledger,
            txt: txt,
            organizationName: "a.test",
            reportSender: "postmaster@mx.a.test"
        )
        let resolver = TableResolver(
            mx: ["b.test": .records([.init(preference: 10, host: "mx.b.test")])],
            hosts: ["mx.b.test": .records(["127.0.0.1"])]
        )
        let runner = QueueRunner(
            store: store,
            settings: RelaySettings(hostname: "mx.a.test", mxPort: sinkPort),
            resolver: resolver,
            localDomains: ["a.test"],
            logger: logger,
            clock: { clock.now },
            security: security
        )
        let envelope = QueueEnvelope(
            id: OutboundQueue.newID(now: clock.now),
            sender: "alice@a.test",
            recipients: [QueuedRecipient(address: "bob@b.test")],
            arrival: clock.now
        )
        try store.queue.enqueue(bytes: QueueRunnerTests.message(to: "bob@b.test"), envelope: envelope)
        return Setup(store: store, runner: runner, ledger: ledger, clock: clock, envelope: envelope)
    }

    static let enforce = "version: STSv1\nmode: enforce\nmx: mx.b.test\nmax_age: 86400\n"

    @Test func enforceDefersWhenTheCertificateDoesNotVerify() async throws {
        try await TemporaryDirectory.with { directory in
            // A self-signed certificate: STARTTLS works, PKIX verification cannot.
            let tls = try TestTLS.make(in: directory, commonName: "mx.b.test")
            let sink = try SMTPSink(outdir: try QueueRunnerTests.folder(directory, "sink"), tls: tls)
            defer { sink.stop() }
            let setup = try Self.setup(directory, sinkPort: sink.port, policy: Self.enforce)
            _ = await setup.runner.pass()
            #expect(sink.messages(for: "bob@b.test").isEmpty)
            let queued = try #require(try setup.store.queue.envelope(setup.envelope.id))
            #expect(queued.recipients[0].status == .pending)
            #expect(queued.recipients[0].lastReply?.hasPrefix("4.7.5 MTA-STS policy of b.test (enforce)") == true)
            let tally = try #require(await setup.ledger.tallies(of: TLSReportLedger.utcDay(setup.clock.now))["b.test"])
            #expect(tally.successes == 0)
            #expect(tally.failures.map(\.resultType) == [.certificateNotTrusted])
            #expect(tally.failures.first?.receivingMXHostname == "mx.b.test")
            #expect(tally.failures.first?.receivingIP == "127.0.0.1")
        }
    }

    @Test func enforceDefersWhenNoMXMatches() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(outdir: try QueueRunnerTests.folder(directory, "sink"))
            defer { sink.stop() }
            let policy = "version: STSv1\nmode: enforce\nmx: *.mail.b.test\nmax_age: 86400\n"
            let setup = try Self.setup(directory, sinkPort: sink.port, policy: policy)
            _ = await setup.runner.pass()
            #expect(sink.messages(for: "bob@b.test").isEmpty)
            let queued = try #require(try setup.store.queue.envelope(setup.envelope.id))
            #expect(
                queued.recipients[0].lastReply
                    == "4.7.5 MTA-STS policy of b.test (enforce): no MX host matches its mx patterns"
            )
        }
    }

    @Test func testingDeliversReportsAndTheDailyReportGoesThroughTheQueue() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(outdir: try QueueRunnerTests.folder(directory, "sink"))  // no STARTTLS
            defer { sink.stop() }
            let policy = "version: STSv1\nmode: testing\nmx: mx.b.test\nmax_age: 86400\n"
            let setup = try Self.setup(directory, sinkPort: sink.port, policy: policy)
            _ = await setup.runner.pass()
            #expect(sink.messages(for: "bob@b.test").count == 1)
            let day = TLSReportLedger.utcDay(setup.clock.now)
            let tally = try #require(await setup.ledger.tallies(of: day)["b.test"])
            #expect(tally.failures.map(\.resultType) == [.starttlsNotSupported])
            #expect(tally.policyString.contains("mode: testing"))

            // Not before the day is over (UTC)…
            #expect(await setup.runner.sendTLSReports().isEmpty)
            setup.clock.advance(86_400)
            // …then one report to the mailto: rua (the https: one is left out), delivered by the queue.
            let ids = await setup.runner.sendTLSReports()
            #expect(ids.count == 1)
            let report = String(decoding: try setup.store.queue.message(try #require(ids.first)), as: UTF8.self)
            #expect(report.contains("\r\nTLS-Report-Domain: b.test\r\n"))
            #expect(report.contains("\r\nTLS-Report-Submitter: mx.a.test\r\n"))
            #expect(report.contains("Content-Type: application/tlsrpt+gzip\r\n"))
            #expect(await setup.ledger.finishedDays(now: setup.clock.now).isEmpty)
            _ = await setup.runner.pass()
            #expect(sink.messages(for: "tlsrpt@b.test").count == 1)
            #expect(await setup.runner.sendTLSReports().isEmpty)  // once only
        }
    }

    /// RFC 8460 §4.3.1: each certificate failure the SMTP client tells apart (shown with real certificates
    /// in SMTPClientTests' CertificateFailureTests) has its own result type in the report.
    @Test func certificateFailuresHaveTheirOwnResultTypes() {
        #expect(RemoteDelivery.resultType(.tlsHandshakeFailed(.certificateExpired)) == .certificateExpired)
        #expect(RemoteDelivery.resultType(.tlsHandshakeFailed(.certificateNotTrusted)) == .certificateNotTrusted)
        #expect(RemoteDelivery.resultType(.tlsHandshakeFailed(.hostnameMismatch)) == .certificateHostMismatch)
        #expect(RemoteDelivery.resultType(.tlsHandshakeFailed(.failed("no shared cipher"))) == .validationFailure)
        #expect(RemoteDelivery.resultType(.startTLSNotOffered) == .starttlsNotSupported)
    }
}

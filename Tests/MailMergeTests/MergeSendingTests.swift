import Foundation
import Logging
import MailTestSupport
import SMTPClient
import SMTPCore
import Testing

@testable import MailMerge

/// The merge over real sockets to aiosmtpd (interop/send/smtp_sink.py) with STARTTLS and AUTH.
struct MergeSendingTests {
    final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [RowOutcome] = []
        func add(_ outcome: RowOutcome) { lock.withLock { list.append(outcome) } }
        var all: [RowOutcome] { lock.withLock { list.sorted { $0.row < $1.row } } }
    }

    @Test func thousandRowsOverSTARTTLSWithAuthAndRefusals() async throws {
        try await TemporaryDirectory.with { directory in
            let tls = try TestTLS.make(in: directory)
            let outdir = directory.url.appendingPathComponent("received")
            try FileManager.default.createDirectory(at: outdir, withIntermediateDirectories: true)
            let sink = try SMTPSink(
                outdir: outdir,
                tls: tls,
                requireTLS: true,
                auth: ("sender", "pa55"),
                reject: [
                    "perm@x.test": "550 5.1.1 <perm@x.test>: Recipient address rejected",
                    "temp@x.test": "451 4.3.0 Temporary local problem",
                ],
                rejectOnce: ["flaky@x.test": "450 4.2.0 greylisted, come back later"],
                pipelining: true
            )
            defer { sink.stop() }

            var csv = "name,email\n"
            for index in 1...1000 {
                switch index {
                case 10: csv += "Bad Row,not-an-address\n"
                case 20: csv += "Perm Fail,perm@x.test\n"
                case 30: csv += "Temp Fail,temp@x.test\n"
                case 40: csv += "Flaky Once,flaky@x.test\n"
                default: csv += "Person \(index) Ñ,p\(index)@x.test\n"
                }
            }
            let list = try MergeList(text: csv)
            let template = try MergeTemplate(body: "Dear {{name}},\nthis one is yours.\n", columns: list.columns)
            let plan = try MergePlan(
                list: list,
                template: template,
                settings: MergeSettings(
                    fromAddress: "sender@x.test",
                    fromName: "Sender",
                    subject: "For {{name}}"
                )
            )
            var policy = SendingPolicy()
            policy.connections = 4
            policy.firstRetryDelay = .milliseconds(20)
            let sender = MergeSender(
                plan: plan,
                server: SMTPServerSettings(
                    host: "127.0.0.1",
                    port: sink.port,
                    tls: .startTLS(.required),
                    trust: .certificateAuthorities(pemFile: tls.certificatePath),
                    credentials: SMTPCredentials(username: "sender", password: "pa55")
                ),
                policy: policy,
                logger: Logger(label: "test")
            )
            let outcomes = Outcomes()
            let summary = await sender.run { outcomes.add($0) }

            #expect(summary.sent == 997)
            #expect(summary.failed == 2)
            #expect(summary.skipped == 1)
            #expect(summary.resumeFrom == nil)
            let byRow = Dictionary(uniqueKeysWithValues: outcomes.all.map { ($0.row, $0) })
            #expect(byRow.count == 1000)
            #expect(byRow[10]?.status == .skipped)
            #expect(byRow[10]?.reply == "the address has no @")
            #expect(byRow[20]?.status == .failed)
            #expect(byRow[20]?.reply == "550 5.1.1 <perm@x.test>: Recipient address rejected")
            #expect(byRow[30]?.status == .failed)
            #expect(byRow[30]?.reply == "451 4.3.0 Temporary local problem")
            #expect(byRow[40]?.status == .sent)
            #expect(byRow[41]?.status == .sent)
            #expect(byRow[41]?.reply.hasPrefix("250 2.0.0 OK queued as sink-") == true)
            #expect(byRow[41]?.messageID?.hasSuffix("@x.test>") == true)

            // Every recipient got exactly one message, with its own name in it.
            #expect(sink.messageFiles.count == 997)
            for index in [1, 2, 9, 11, 500, 999, 1000] {
                let received = sink.messages(for: "p\(index)@x.test")
                #expect(received.count == 1)
                let text = String(decoding: received.first ?? Data(), as: UTF8.self)
                #expect(text.contains("To: =?UTF-8?Q?Person_\(index)_=C3=91?= <p\(index)@x.test>\r\n"))
                #expect(text.contains("Dear Person \(index) =C3=91,"))
            }
            var wrongName = 0
            for index in 1...1000 where ![10, 20, 30, 40].contains(index) {
                let received = sink.messages(for: "p\(index)@x.test")
                let text = String(decoding: received.first ?? Data(), as: UTF8.self)
                if received.count != 1 || !text.contains("Dear Person \(index) =C3=91,") { wrongName += 1 }
            }
            #expect(wrongName == 0)
            #expect(sink.messages(for: "flaky@x.test").count == 1)
        }
    }

    @Test func stopRequestLeavesAResumePoint() async throws {
        try await TemporaryDirectory.with { directory in
            let sink = try SMTPSink(outdir: directory.url)
            defer { sink.stop() }
            let list = try MergeList(text: (1...50).map { "P\($0),p\($0)@x.test" }.joined(separator: "\n"))
            let template = try MergeTemplate(body: "hi {{name}}", columns: list.columns)
            let plan = try MergePlan(list: list, template: template, settings: MergeSettings(fromAddress: "me@x.test"))
            var policy = SendingPolicy()
            policy.connections = 1
            let sender = MergeSender(
                plan: plan,
                server: SMTPServerSettings(host: "127.0.0.1", port: sink.port, tls: .none),
                policy: policy,
                logger: Logger(label: "test")
            )
            let stop = StopRequest()
            let outcomes = Outcomes()
            let summary = await sender.run(stop: stop) { outcome in
                outcomes.add(outcome)
                if outcome.row == 5 { stop.request() }
            }
            #expect(summary.sent == 5)
            #expect(summary.resumeFrom == 6)
            #expect(sink.messageFiles.count == 5)
        }
    }
}

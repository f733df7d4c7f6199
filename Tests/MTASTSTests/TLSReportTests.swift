import Foundation
import MailTestSupport
import Testing

@testable import MTASTS

@Suite(.offThePool) struct TLSReporting {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tlsrpt-\(UUID().uuidString)")
    /// 2027-01-15 10:00:00 UTC.
    let morning = Date(timeIntervalSince1970: 1_799_971_200 + 36_000)
    let policy = STSPolicy(mode: .enforce, mx: ["*.mail.example.org"], maxAge: 86400)

    func filledLedger() async -> TLSReportLedger {
        let ledger = TLSReportLedger(folder: folder, writeInterval: 3600)
        for _ in 0..<3 { await ledger.record(.success, domain: "example.org", policy: policy, now: morning) }
        for _ in 0..<2 {
            await ledger.record(
                .failure(
                    .validationFailure,
                    mx: "mx1.mail.example.org",
                    address: "198.51.100.7",
                    reason: "certificate not trusted"
                ),
                domain: "example.org",
                policy: policy,
                now: morning
            )
        }
        await ledger.record(
            .failure(.stsPolicyFetchError, mx: nil, address: nil, reason: "HTTP 404"),
            domain: "other.example",
            policy: nil,
            now: morning
        )
        return ledger
    }

    @Test func countsSurviveARestartAndADayIsDueOnlyAfterMidnightUTC() async {
        await filledLedger().flush()  // as the relay does when it stops
        let again = TLSReportLedger(folder: folder)
        let day = TLSReportLedger.utcDay(morning)
        #expect(await again.finishedDays(now: morning) == [])
        #expect(await again.finishedDays(now: morning.addingTimeInterval(14 * 3600 - 1)) == [])  // 23:59:59
        #expect(await again.finishedDays(now: morning.addingTimeInterval(14 * 3600)) == [day])
        let tallies = await again.tallies(of: day)
        #expect(tallies["example.org"]?.successes == 3)
        #expect(tallies["example.org"]?.failureCount == 2)
        #expect(tallies["other.example"]?.policyType == "no-policy-found")
        await again.remove(day)
        #expect(await again.finishedDays(now: morning.addingTimeInterval(86_400)) == [])
    }

    /// Between writes the counts are in memory only; the first session of a day and `flush()` write them.
    @Test func countsAreWrittenAtTheFirstSessionAndAtFlush() async throws {
        let ledger = TLSReportLedger(folder: folder, writeInterval: 3600)
        let file = folder.appendingPathComponent(TLSReportLedger.utcDay(morning) + ".json")
        let onDisk = { () throws -> Int? in
            let data = try Data(contentsOf: file)
            return try JSONDecoder().decode([String: TLSSessionTally].self, from: data)["example.org"]?.successes
        }
        await ledger.record(.success, domain: "example.org", policy: policy, now: morning)
        #expect(try onDisk() == 1)
        await ledger.record(.success, domain: "example.org", policy: policy, now: morning)
        #expect(try onDisk() == 1)
        await ledger.flush()
        #expect(try onDisk() == 2)
    }

    /// The fields of RFC 8460 §4.4 (and its JSON schema in appendix B), by name and type.
    @Test func theReportHasTheRFC8460Fields() async throws {
        let ledger = await filledLedger()
        let day = TLSReportLedger.utcDay(morning)
        let range = try #require(TLSReportLedger.range(of: day))
        let tally = try #require(await ledger.tallies(of: day)["example.org"])
        let report = TLSReport(
            organizationName: "correo test",
            start: range.start,
            end: range.end,
            contactInfo: "postmaster@mx.sender.example",
            reportID: "r1",
            policyDomain: "example.org",
            tally: tally
        )
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json())) as? [String: Any])
        #expect(json["organization-name"] as? String == "correo test")
        #expect(json["contact-info"] as? String == "postmaster@mx.sender.example")
        #expect(json["report-id"] as? String == "r1")
        let dates = try #require(json["date-range"] as? [String: Any])
        #expect(dates["start-datetime"] as? String == "\(day)T00:00:00Z")
        #expect(dates["end-datetime"] as? String == "\(day)T23:59:59Z")
        let policies = try #require(json["policies"] as? [[String: Any]])
        #expect(policies.count == 1)
        let policy = try #require(policies[0]["policy"] as? [String: Any])
        #expect(policy["policy-type"] as? String == "sts")
        #expect(policy["policy-domain"] as? String == "example.org")
        #expect(
            policy["policy-string"] as? [String] == [
                "version: STSv1", "mode: enforce", "mx: *.mail.example.org", "max_age: 86400",
            ]
        )
        #expect(policy["mx-host"] as? [String] == ["*.mail.example.org"])
        let summary = try #require(policies[0]["summary"] as? [String: Any])
        #expect(summary["total-successful-session-count"] as? Int == 3)
        #expect(summary["total-failure-session-count"] as? Int == 2)
        let details = try #require(policies[0]["failure-details"] as? [[String: Any]])
        #expect(details.count == 1)
        #expect(details[0]["result-type"] as? String == "validation-failure")
        #expect(details[0]["receiving-mx-hostname"] as? String == "mx1.mail.example.org")
        #expect(details[0]["receiving-ip"] as? String == "198.51.100.7")
        #expect(details[0]["failed-session-count"] as? Int == 2)
    }

    @Test func theCRCIsTheStandardOne() {
        #expect(Gzip.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    /// The message of RFC 8460 §5.3, its attachment read back by the system's gzip.
    @Test func theReportMailCarriesTheGzippedJSON() throws {
        let tally = TLSSessionTally(policyType: "sts", policyString: policy.lines, mxHost: policy.mx, successes: 1)
        let report = TLSReport(
            organizationName: "o",
            start: morning,
            end: morning.addingTimeInterval(60),
            contactInfo: "c@sender.example",
            reportID: "id1",
            policyDomain: "example.org",
            tally: tally
        )
        let mail = String(
            decoding: try TLSReportMail.render(
                report,
                submitter: "mx.sender.example",
                from: "c@sender.example",
                to: "r@example.org",
                now: morning
            ),
            as: UTF8.self
        )
        #expect(
            mail.contains(
                "\r\nSubject: Report Domain: example.org Submitter: mx.sender.example Report-ID: <id1@mx.sender.example>\r\n"
            )
        )
        #expect(mail.contains("\r\nTLS-Report-Domain: example.org\r\n"))
        #expect(mail.contains("\r\nTLS-Report-Submitter: mx.sender.example\r\n"))
        #expect(mail.contains("Content-Type: multipart/report; report-type=\"tlsrpt\""))
        #expect(mail.contains("Content-Type: application/tlsrpt+gzip\r\n"))
        let parts = mail.components(separatedBy: "filename=\"")
        #expect(parts.count == 2)
        let afterHeader = try #require(parts.last?.components(separatedBy: "\r\n\r\n").dropFirst().first)
        let base64 =
            afterHeader.components(separatedBy: "\r\n--").first?.replacingOccurrences(of: "\r\n", with: "") ?? ""
        let gzip = try #require(Data(base64Encoded: base64))
        let json = try gunzip(gzip)
        #expect(json == Data(try report.json()))
    }

    @Test func largeDataSpansSeveralStoredBlocks() throws {
        let data = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try gunzip(Data(Gzip.stored(data))) == Data(data))
        #expect(try gunzip(Data(Gzip.stored([]))) == Data())
    }

    /// Decompresses with the system's gzip (a real reader, not this code).
    func gunzip(_ data: Data) throws -> Data {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tlsrpt-\(UUID().uuidString).gz")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitForExit()
        #expect(process.terminationStatus == 0)
        return output
    }
}

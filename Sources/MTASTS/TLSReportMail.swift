import Foundation

/// The message that carries a TLS-RPT report to a `mailto:` address (RFC 8460 §5.3): `multipart/report;
/// report-type="tlsrpt"`, a short text part, and the gzipped JSON as an `application/tlsrpt+gzip`
/// attachment, with the `TLS-Report-Domain` and `TLS-Report-Submitter` header fields and the subject
/// `Report Domain: … Submitter: … Report-ID: <…>`.
public enum TLSReportMail {
    /// The message, CRLF line ends.
    public static func render(
        _ report: TLSReport,
        submitter: String,
        from: String,
        to: String,
        now: Date
    ) throws -> [UInt8] {
        let gzip = Gzip.stored(try report.json())
        let boundary = "tlsrpt-\(report.reportID)"
        let filename =
            "\(submitter)!\(report.policyDomain)!\(Int(report.start.timeIntervalSince1970))!"
            + "\(Int(report.end.timeIntervalSince1970))!\(report.reportID).json.gz"
        let date = DateFormatter.rfc5322.string(from: now)
        var lines = [
            "From: <\(from)>",
            "To: <\(to)>",
            "Date: \(date)",
            "Message-ID: <\(report.reportID)@\(submitter)>",
            "Subject: Report Domain: \(report.policyDomain) Submitter: \(submitter) Report-ID: <\(report.reportID)@\(submitter)>",
            "TLS-Report-Domain: \(report.policyDomain)",
            "TLS-Report-Submitter: \(submitter)",
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
            "Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=us-ascii",
            "",
            "This is an aggregate TLS report (RFC 8460) from \(submitter) for \(report.policyDomain),",
            "\(TLSReport.timestamp(report.start)) to \(TLSReport.timestamp(report.end)): "
                + "\(report.tally.successes) successful and \(report.tally.failureCount) failed sessions.",
            "",
            "--\(boundary)",
            "Content-Type: application/tlsrpt+gzip",
            "Content-Transfer-Encoding: base64",
            "Content-Disposition: attachment; filename=\"\(filename)\"",
            "",
        ]
        let encoded = Data(gzip).base64EncodedString()
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let next = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<next]))
            index = next
        }
        lines += ["", "--\(boundary)--", ""]
        return Array(lines.joined(separator: "\r\n").utf8)
    }
}

extension DateFormatter {
    /// `Thu, 03 Dec 2026 18:00:00 +0000` (RFC 5322 §3.3).
    static var rfc5322: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter
    }
}

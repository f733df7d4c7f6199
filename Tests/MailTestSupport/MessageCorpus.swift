/// A corpus of varied messages as wire bytes, for parser, IMAP and store tests.
///
/// Each message is built from lines joined with CRLF (unless it is the bare-LF sample), so the bytes
/// are exact and offsets can be computed by hand. Non-UTF-8 content is written as raw bytes.
public enum MessageCorpus {
    /// One corpus entry.
    public struct Sample: Sendable {
        /// A short identifier such as "plainASCII".
        public let name: String
        /// The message bytes.
        public let bytes: [UInt8]
    }

    /// Every sample, in a stable order.
    public static var all: [Sample] {
        [
            Sample(name: "plainASCII", bytes: plainASCII),
            Sample(name: "utf8Body8bit", bytes: utf8Body8bit),
            Sample(name: "alternativeWithAttachments", bytes: alternativeWithAttachments),
            Sample(name: "nestedRFC822", bytes: nestedRFC822),
            Sample(name: "subjectUTF8Base64", bytes: subjectUTF8Base64),
            Sample(name: "subjectLatin1Quoted", bytes: subjectLatin1Quoted),
            Sample(name: "subjectWindows1252", bytes: subjectWindows1252),
            Sample(name: "subjectKOI8R", bytes: subjectKOI8R),
            Sample(name: "foldedHeaders", bytes: foldedHeaders),
            Sample(name: "bareLF", bytes: bareLF),
            Sample(name: "truncatedMultipart", bytes: truncatedMultipart),
            Sample(name: "preambleEpilogue", bytes: preambleEpilogue),
            Sample(name: "digest", bytes: digest),
            Sample(name: "rfc2231Filename", bytes: rfc2231Filename),
            Sample(name: "rfc2047QuotedFilename", bytes: rfc2047QuotedFilename),
            Sample(name: "missingHeaders", bytes: missingHeaders),
            Sample(name: "headerOnly", bytes: headerOnly),
            Sample(name: "groupAddresses", bytes: groupAddresses),
            Sample(name: "latin1QuotedPrintableBody", bytes: latin1QuotedPrintableBody),
            Sample(name: "utf8Headers", bytes: utf8Headers),
            Sample(name: "multipartWithoutBoundary", bytes: multipartWithoutBoundary),
            Sample(name: "singlePartAttachment", bytes: singlePartAttachment),
            Sample(name: "emptyBody", bytes: emptyBody),
            Sample(name: "obsoleteDateAndAddresses", bytes: obsoleteDateAndAddresses),
            Sample(name: "nestedMultipartDepth5", bytes: nestedMultipart(depth: 5)),
            Sample(name: "messageGlobal", bytes: messageGlobal),
        ]
    }

    /// Joins lines with CRLF; the last line gets one too.
    public static func crlf(_ lines: [String]) -> [UInt8] {
        Array(lines.map { $0 + "\r\n" }.joined().utf8)
    }

    /// A plain ASCII message with the usual headers.
    public static let plainASCII = crlf([
        "Return-Path: <alice@example.org>",
        "From: Alice Example <alice@example.org>",
        "To: Bob <bob@example.com>",
        "Subject: Lunch on Friday",
        "Date: Tue, 3 Nov 2026 10:00:00 +0000",
        "Message-ID: <plain-1@example.org>",
        "",
        "Hi Bob,",
        "",
        "Lunch at noon?",
        "Alice",
    ])

    /// A UTF-8 body sent as 8bit.
    public static let utf8Body8bit = crlf([
        "From: Jörg <joerg@example.de>",
        "To: bob@example.com",
        "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=",
        "Date: Wed, 4 Nov 2026 08:30:00 +0100",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Grüße aus Köln — 日本語も大丈夫。",
    ])

    /// The bytes of the small PDF attached in `alternativeWithAttachments`.
    public static let attachedPDF: [UInt8] = Array("%PDF-1.4\n%\u{E2}\u{E3}\n1 0 obj\n<<>>\nendobj\n%%EOF\n".utf8)

    /// The bytes of the PNG attached in `alternativeWithAttachments` (header bytes and zeros).
    public static let attachedPNG: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](0..<40)

    /// multipart/mixed(multipart/alternative(text/plain, text/html), application/pdf, image/png).
    public static let alternativeWithAttachments = crlf([
        "From: Alice <alice@example.org>",
        "To: Bob <bob@example.com>",
        "Subject: Report and picture",
        "Date: Thu, 5 Nov 2026 09:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"outer\"",
        "",
        "--outer",
        "Content-Type: multipart/alternative; boundary=inner",
        "",
        "--inner",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "See the report.",
        "--inner",
        "Content-Type: text/html; charset=us-ascii",
        "",
        "<p>See the <b>report</b>.</p>",
        "--inner--",
        "--outer",
        "Content-Type: application/pdf; name=\"report.pdf\"",
        "Content-Disposition: attachment; filename=\"report.pdf\"",
        "Content-Transfer-Encoding: base64",
        "",
        base64Lines(attachedPDF),
        "--outer",
        "Content-Type: image/png",
        "Content-Disposition: inline; filename=pixel.png",
        "Content-ID: <pixel@example.org>",
        "Content-Transfer-Encoding: base64",
        "",
        base64Lines(attachedPNG),
        "--outer--",
    ])

    /// multipart/mixed(text/plain, message/rfc822(multipart/alternative(text/plain, text/html))).
    public static let nestedRFC822 = crlf([
        "From: Carol <carol@example.net>",
        "To: Bob <bob@example.com>",
        "Subject: Fwd: Minutes",
        "Date: Fri, 6 Nov 2026 12:00:00 -0500",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"fwd\"",
        "",
        "--fwd",
        "Content-Type: text/plain",
        "",
        "Forwarding the minutes.",
        "--fwd",
        "Content-Type: message/rfc822",
        "Content-Description: Minutes",
        "",
        "From: Dave <dave@example.net>",
        "To: Carol <carol@example.net>",
        "Subject: Minutes",
        "Date: Thu, 5 Nov 2026 17:00:00 -0500",
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative; boundary=\"alt\"",
        "",
        "--alt",
        "Content-Type: text/plain",
        "",
        "Minutes: nothing happened.",
        "--alt",
        "Content-Type: text/html",
        "",
        "<p>Minutes: nothing happened.</p>",
        "--alt--",
        "--fwd--",
    ])

    /// A subject in UTF-8 base64 encoded words, split across two words.
    public static let subjectUTF8Base64 = crlf([
        "From: =?UTF-8?B?0JjQstCw0L0=?= <ivan@example.ru>",
        "To: bob@example.com",
        "Subject: =?UTF-8?B?0J/RgNC40LLQtdGCLCA=?=",
        " =?UTF-8?B?0LzQuNGAIQ==?=",
        "Date: Sat, 7 Nov 2026 10:00:00 +0300",
        "",
        "body",
    ])

    /// A subject in ISO-8859-1 Q encoding ("Café à la crème").
    public static let subjectLatin1Quoted = crlf([
        "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>",
        "To: bob@example.com",
        "Subject: =?iso-8859-1?q?Caf=E9_=E0_la_cr=E8me?=",
        "Date: Sun, 8 Nov 2026 10:00:00 +0100",
        "",
        "body",
    ])

    /// A subject in Windows-1252 ("“Quotes” – €5").
    public static let subjectWindows1252 = crlf([
        "From: sender@example.com",
        "To: bob@example.com",
        "Subject: =?windows-1252?Q?=93Quotes=94_=96_=805?=",
        "Date: Mon, 9 Nov 2026 10:00:00 +0000",
        "",
        "body",
    ])

    /// A subject in KOI8-R base64 ("Привет").
    public static let subjectKOI8R = crlf([
        "From: sender@example.ru",
        "To: bob@example.com",
        "Subject: =?KOI8-R?B?8NLJ18XU?=",
        "Date: Tue, 10 Nov 2026 10:00:00 +0300",
        "",
        "body",
    ])

    /// Long headers folded over several lines with spaces and tabs.
    public static let foldedHeaders = crlf([
        "From: Alice <alice@example.org>",
        "To: Bob <bob@example.com>,",
        "    Carol <carol@example.net>,",
        "\tDave <dave@example.net>",
        "Subject: This is a long subject line that was",
        " folded by the sender",
        "Received: from mx.example.org (mx.example.org [192.0.2.1])",
        "\tby mail.example.com with ESMTP id 12345",
        "\tfor <bob@example.com>; Tue, 3 Nov 2026 10:00:00 +0000",
        "Date: Tue, 3 Nov 2026 10:00:00 +0000",
        "",
        "Folded.",
    ])

    /// A multipart message with bare LF line ends, as other programs write into Maildir.
    public static let bareLF: [UInt8] = Array(
        [
            "From: unix@example.org",
            "To: bob@example.com",
            "Subject: Bare LF",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=b",
            "",
            "--b",
            "Content-Type: text/plain",
            "",
            "line one",
            "line two",
            "--b--",
            "",
        ].joined(separator: "\n").utf8
    )

    /// A multipart whose close delimiter never comes; the last part runs to the end.
    public static let truncatedMultipart = crlf([
        "From: a@example.org",
        "Subject: Truncated",
        "Content-Type: multipart/mixed; boundary=cut",
        "",
        "--cut",
        "Content-Type: text/plain",
        "",
        "first",
        "--cut",
        "Content-Type: text/plain",
        "",
        "second, and then the connection dropped",
    ])

    /// A multipart with a preamble, transport padding after a delimiter, and an epilogue.
    public static let preambleEpilogue = crlf([
        "From: a@example.org",
        "Subject: Preamble",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"simple boundary\"",
        "",
        "This is the preamble.  It is to be ignored, though it",
        "is a handy place for mail composers to include an",
        "explanatory note to non-MIME conformant readers.",
        "--simple boundary",
        "",
        "This is implicitly typed plain US-ASCII text.",
        "It does NOT end with a linebreak.",
        "--simple boundary  ",
        "Content-type: text/plain; charset=us-ascii",
        "",
        "This is explicitly typed plain US-ASCII text.",
        "It DOES end with a linebreak.",
        "",
        "--simple boundary--",
        "This is the epilogue.  It is also to be ignored.",
    ])

    /// multipart/digest whose parts default to message/rfc822.
    public static let digest = crlf([
        "From: list@example.org",
        "Subject: Digest",
        "MIME-Version: 1.0",
        "Content-Type: multipart/digest; boundary=dig",
        "",
        "--dig",
        "",
        "From: one@example.org",
        "Subject: First",
        "",
        "First message.",
        "--dig",
        "",
        "From: two@example.org",
        "Subject: Second",
        "",
        "Second message.",
        "--dig--",
    ])

    /// An attachment whose file name uses RFC 2231 continuations and a charset ("résumé final.pdf").
    public static let rfc2231Filename = crlf([
        "From: a@example.org",
        "Subject: CV",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=x",
        "",
        "--x",
        "Content-Type: application/pdf",
        "Content-Disposition: attachment;",
        " filename*0*=utf-8'fr'r%C3%A9sum%C3%A9;",
        " filename*1=\" final.pdf\"",
        "Content-Transfer-Encoding: base64",
        "",
        "JVBERi0xLjQK",
        "--x--",
    ])

    /// An attachment whose quoted file name holds RFC 2047 words, as many mailers send ("Übersicht.txt").
    public static let rfc2047QuotedFilename = crlf([
        "From: a@example.org",
        "Subject: Overview",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=y",
        "",
        "--y",
        "Content-Type: text/plain; name=\"=?UTF-8?B?w5xiZXJzaWNodC50eHQ=?=\"",
        "Content-Disposition: attachment; filename=\"=?UTF-8?B?w5xiZXJzaWNodC50eHQ=?=\"",
        "",
        "contents",
        "--y--",
    ])

    /// A message with none of the usual headers.
    public static let missingHeaders = crlf([
        "X-Mailer: nothing",
        "",
        "No From, no Date, no Subject, no Message-ID.",
    ])

    /// A message with no blank line: everything is header.
    public static let headerOnly: [UInt8] = Array("From: a@example.org\r\nSubject: Only a header\r\n".utf8)

    /// Group syntax in To and Cc (RFC 5322 3.4), one of them empty.
    public static let groupAddresses = crlf([
        "From: Boss <boss@example.org>",
        "To: Team: alice@example.org, \"Bob B.\" <bob@example.com>;, carol@example.net",
        "Cc: undisclosed-recipients:;",
        "Subject: Groups",
        "Date: Tue, 3 Nov 2026 10:00:00 +0000",
        "",
        "Hello team.",
    ])

    /// An ISO-8859-1 body in quoted-printable with a soft line break ("Voilà, très bien.").
    public static let latin1QuotedPrintableBody = crlf([
        "From: a@example.org",
        "Subject: Latin-1",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=ISO-8859-1",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "Voil=E0, tr=E8s=",
        " bien.",
    ])

    /// RFC 6532: raw UTF-8 in header fields.
    public static let utf8Headers = crlf([
        "From: Zoë <zoë@例え.jp>",
        "To: bob@example.com",
        "Subject: Ünïcödé without encoded words",
        "Date: Tue, 3 Nov 2026 10:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "ok",
    ])

    /// A multipart type without a boundary parameter: read as plain text.
    public static let multipartWithoutBoundary = crlf([
        "From: a@example.org",
        "Subject: Broken",
        "Content-Type: multipart/mixed",
        "",
        "--whatever",
        "text",
    ])

    /// A message that is only an attachment (non-multipart, base64).
    public static let singlePartAttachment = crlf([
        "From: scanner@example.org",
        "Subject: Scan",
        "MIME-Version: 1.0",
        "Content-Type: application/octet-stream; name=scan.bin",
        "Content-Transfer-Encoding: base64",
        "",
        "AAECAwQFBgcICQ==",
    ])

    /// A header followed by a blank line and no body.
    public static let emptyBody: [UInt8] = Array("From: a@example.org\r\nSubject: Empty\r\n\r\n".utf8)

    /// Obsolete forms: two-digit year, named zone, no weekday, comments, route address.
    public static let obsoleteDateAndAddresses = crlf([
        "From: (comment) old@example.org (Old Style)",
        "To: <@relay.example.net:bob@example.com>",
        "Subject: Old",
        "Date: 3 Nov 99 10:00 EST",
        "",
        "old",
    ])

    /// RFC 6532 message/global: an encapsulated message with raw UTF-8 header fields.
    public static let messageGlobal = crlf([
        "From: a@example.org",
        "Subject: Bounce",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=r",
        "",
        "--r",
        "Content-Type: text/plain",
        "",
        "Delivery failed.",
        "--r",
        "Content-Type: message/global",
        "",
        "From: Zoë <zoë@例え.jp>",
        "Subject: Grüße",
        "",
        "Hallo.",
        "--r--",
    ])

    /// `depth` multiparts nested inside each other, each with its own boundary, a text part innermost.
    public static func nestedMultipart(depth: Int) -> [UInt8] {
        var bytes: [UInt8] = Array("From: deep@example.org\r\nSubject: Deep\r\nMIME-Version: 1.0\r\n".utf8)
        for level in 0..<depth {
            bytes += Array("Content-Type: multipart/mixed; boundary=\"b\(level)\"\r\n\r\n--b\(level)\r\n".utf8)
        }
        bytes += Array("Content-Type: text/plain\r\n\r\ninnermost\r\n".utf8)
        for level in (0..<depth).reversed() {
            bytes += Array("--b\(level)--\r\n".utf8)
        }
        return bytes
    }

    /// A message whose header has `lines` fields.
    public static func longHeader(lines: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines * 24)
        for index in 0..<lines { bytes += Array("X-Field-\(index): value \(index)\r\n".utf8) }
        bytes += Array("\r\nbody\r\n".utf8)
        return bytes
    }

    /// Base64 of `bytes` in 76-character lines, joined with CRLF (no final CRLF).
    static func base64Lines(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var output = ""
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value =
                (Int(chunk[0]) << 16) | (chunk.count > 1 ? Int(chunk[1]) << 8 : 0)
                | (chunk.count > 2 ? Int(chunk[2]) : 0)
            output.append(alphabet[(value >> 18) & 63])
            output.append(alphabet[(value >> 12) & 63])
            output.append(chunk.count > 1 ? alphabet[(value >> 6) & 63] : "=")
            output.append(chunk.count > 2 ? alphabet[value & 63] : "=")
            index += 3
        }
        var lines: [String] = []
        var rest = Substring(output)
        while rest.count > 76 {
            lines.append(String(rest.prefix(76)))
            rest = rest.dropFirst(76)
        }
        lines.append(String(rest))
        return lines.joined(separator: "\r\n")
    }
}

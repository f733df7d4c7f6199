import Foundation
import Testing

@testable import MailMerge

/// Messages built for rows: headers, encodings, multipart structure, attachments byte-exact.
struct MessageBuildingTests {
    static func plan(
        list: String = "Zoë Ñúñez,zoe@x.test\n", body: String = "Hola {{name}}\n", html: String? = nil,
        subject: String? = "Hi {{name}} ✓", attachments: [MergeAttachment] = []
    ) throws -> MergePlan {
        let list = try MergeList(text: list)
        let template = try MergeTemplate(body: body, html: html, columns: list.columns)
        return try MergePlan(list: list, template: template, settings: MergeSettings(
            fromAddress: "me@x.test", fromName: "Mé Sender", subject: subject, attachments: attachments
        ))
    }

    static func text(_ message: PreparedMessage) -> String { String(decoding: message.bytes, as: UTF8.self) }

    @Test func headersAreEncodedAndEveryLineIsShortAndCRLF() throws {
        let plan = try Self.plan()
        let message = try plan.message(for: plan.list.rows[0])
        let entity = MIMEEntity(Self.text(message))
        #expect(MIMEEntity.decodeWords(entity.header("Subject") ?? "") == "Hi Zoë Ñúñez ✓")
        #expect(entity.header("To")?.hasSuffix(" <zoe@x.test>") == true)
        #expect(MIMEEntity.decodeWords(String(entity.header("To")?.dropLast(" <zoe@x.test>".count) ?? "")) == "Zoë Ñúñez")
        #expect(entity.header("From")?.hasSuffix("<me@x.test>") == true)
        #expect(entity.header("Message-ID") == message.messageID)
        #expect(message.messageID.hasSuffix("@x.test>"))
        #expect(entity.header("Date") != nil)
        #expect(entity.header("MIME-Version") == "1.0")
        // 7-bit clean, every line ≤ 78 characters and ended by CRLF.
        #expect(message.bytes.allSatisfy { $0 < 0x80 })
        let lines = Self.text(message).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 78 && !$0.contains("\n") && !$0.contains("\r") })
        #expect(String(decoding: entity.decodedBody, as: UTF8.self) == "Hola Zoë Ñúñez\r\n")
        #expect(message.recipients == ["zoe@x.test"])
    }

    @Test func textAndHTMLGoAsMultipartAlternative() throws {
        let plan = try Self.plan(body: "Hi {{name}}", html: "<p>Hi {{name}}</p>")
        let entity = MIMEEntity(Self.text(try plan.message(for: plan.list.rows[0])))
        #expect(entity.header("Content-Type")?.hasPrefix("multipart/alternative;") == true)
        let parts = entity.parts
        #expect(parts.map { $0.header("Content-Type") ?? "" } == ["text/plain; charset=utf-8", "text/html; charset=utf-8"])
        #expect(String(decoding: parts[1].decodedBody, as: UTF8.self) == "<p>Hi Zoë Ñúñez</p>")
    }

    @Test func attachmentsDecodeByteExact() throws {
        let binary = Data((0..<3000).map { UInt8(($0 * 7919) % 256) })
        let attachments = [
            MergeAttachment(fileName: "report.pdf", data: binary),
            MergeAttachment(fileName: "Año 2026 — notas.txt", data: Data("línea\n".utf8)),
        ]
        let plan = try Self.plan(body: "see attached", html: "<p>see</p>", attachments: attachments)
        let entity = MIMEEntity(Self.text(try plan.message(for: plan.list.rows[0])))
        #expect(entity.header("Content-Type")?.hasPrefix("multipart/mixed;") == true)
        let parts = entity.parts
        #expect(parts.count == 3)
        #expect(parts[0].header("Content-Type")?.hasPrefix("multipart/alternative;") == true)
        #expect(parts[1].header("Content-Type") == "application/pdf; name=\"report.pdf\"")
        #expect(parts[1].decodedBody == binary)
        #expect(parts[2].header("Content-Type")?.hasPrefix("text/plain; name=\"=?UTF-8?B?") == true)
        #expect(parts[2].header("Content-Disposition") == "attachment; filename*=UTF-8''A%C3%B1o%202026%20%E2%80%94%20notas.txt")
        #expect(parts[2].decodedBody == Data("línea\n".utf8))
    }

    @Test func headerTemplateSetsRecipientsCcBccAndSubject() throws {
        let body = "TO: {{name}} <{{email}}>\nCC: boss@x.test\nBCC: archive@x.test\nSUBJECT: Re: {{name}}\nReply-To: help@x.test\n\nbody\n"
        let plan = try Self.plan(list: "Ann,ann@x.test\n", body: body, subject: nil)
        let message = try plan.message(for: plan.list.rows[0])
        let entity = MIMEEntity(Self.text(message))
        #expect(message.recipients == ["ann@x.test", "boss@x.test", "archive@x.test"])
        #expect(entity.header("To") == "Ann <ann@x.test>")
        #expect(entity.header("Cc") == "boss@x.test")
        #expect(entity.header("Bcc") == nil)
        #expect(entity.header("Subject") == "Re: Ann")
        #expect(entity.header("Reply-To") == "help@x.test")
    }

    @Test func limitAndResumeFromCountDataRows() throws {
        let list = try MergeList(text: "A,a@x.test\nB,bad\nC,c@x.test\nD,d@x.test\nE,e@x.test\n")
        let template = try MergeTemplate(body: "x", columns: list.columns)
        let plan = try MergePlan(list: list, template: template, settings: MergeSettings(fromAddress: "me@x.test", limit: 2, resumeFrom: 2))
        #expect(plan.rows.map(\.number) == [2, 3, 4])
        #expect(plan.rows.first == .invalid(row: list.rows[1], reason: "the address has no @"))
    }

    @Test func longNonASCIISubjectFoldsIntoEncodedWords() throws {
        let subject = String(repeating: "ñandú ", count: 30)
        let plan = try Self.plan(subject: subject)
        let text = Self.text(try plan.message(for: plan.list.rows[0]))
        let entity = MIMEEntity(text)
        #expect(MIMEEntity.decodeWords(entity.header("Subject") ?? "") == subject)
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.count <= 78 })
    }

    @Test func invalidSenderIsRefused() throws {
        let list = try MergeList(text: "A,a@x.test\n")
        let template = try MergeTemplate(body: "x", columns: list.columns)
        #expect(throws: MergePlan.Failure.invalidSender("me", reason: "the address has no @")) {
            try MergePlan(list: list, template: template, settings: MergeSettings(fromAddress: "me"))
        }
    }
}

import Foundation
import MailTestSupport
import Testing

@testable import MailCore

private func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    bytes.split(separator: ASCII.lf, omittingEmptySubsequences: false)
}

private func sampleBuilder() -> MessageBuilder {
    var builder = MessageBuilder(from: Mailbox("joerg@example.de", displayName: "Jörg Müller"))
    builder.to = [.mailbox(Mailbox("bob@example.com", displayName: "Bob, the builder"))]
    builder.cc = [.mailbox(Mailbox("carol@example.net"))]
    builder.bcc = [.mailbox(Mailbox("hidden@example.org"))]
    builder.subject = "Grüße — Bericht für März"
    builder.date = MessageDate(date: Date(timeIntervalSince1970: 1_793_700_000))
    builder.textBody = "Hallo Bob,\nanbei der Bericht.\n"
    builder.htmlBody = "<p>Hallo Bob,</p><p>anbei der <b>Bericht</b>.</p>"
    return builder
}

@Test func builtMessageParsesBackWithTheSameContent() throws {
    var builder = sampleBuilder()
    let pdf: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    let csv = Array("name,amount\nÄrger,1\n".utf8)
    builder.attachments = [
        Attachment(filename: "Bericht März.pdf", data: pdf),
        Attachment(filename: "zahlen.csv", data: csv),
    ]
    let message = builder.build()
    let root = MIMEPart.parse(message)
    #expect(root.contentType.mimeType == "multipart/mixed")
    #expect(root.children.map(\.contentType.mimeType) == ["multipart/alternative", "application/pdf", "text/csv"])
    #expect(root.children[0].children.map(\.contentType.mimeType) == ["text/plain", "text/html"])
    #expect(root.children[0].children[0].text(in: message) == "Hallo Bob,\r\nanbei der Bericht.\r\n")
    #expect(root.children[0].children[1].text(in: message) == "<p>Hallo Bob,</p><p>anbei der <b>Bericht</b>.</p>")
    #expect(root.children[1].decodedBody(in: message) == pdf)
    #expect(root.children[1].filename == "Bericht März.pdf")
    #expect(root.children[2].decodedBody(in: message) == csv)
    #expect(root.children[2].contentDisposition?.isAttachment == true)

    let header = root.header
    #expect(header.field(named: "Subject")?.decodedValue == "Grüße — Bericht für März")
    #expect(header.addresses(named: "From").first?.mailboxes.first?.displayName == "Jörg Müller")
    #expect(header.addresses(named: "To").first?.mailboxes.first?.displayName == "Bob, the builder")
    #expect(!header.contains("Bcc"))
    #expect(header["MIME-Version"] == "1.0")
    #expect(header.date?.formatted == "Tue, 3 Nov 2026 10:00:00 +0000")
    let messageID = try #require(header["Message-ID"])
    #expect(messageID.hasPrefix("<") && messageID.hasSuffix("@example.de>"))
    #expect(builder.recipients.map(\.address) == ["bob@example.com", "carol@example.net", "hidden@example.org"])

    #expect(lines(message).allSatisfy { $0.count <= MailCoreDefaults.maxLineLength + 1 })
    #expect(lines(message).dropLast().allSatisfy { $0.last == ASCII.cr })
    #expect(message.allSatisfy { $0 < 0x80 })
}

@Test func chosenTransferEncodingsFitTheContent() {
    var builder = MessageBuilder(from: Mailbox("a@example.org"))
    builder.textBody = "plain ascii\nsecond line"
    var root = MIMEPart.parse(builder.build())
    #expect(root.contentTransferEncoding == .sevenBit)
    #expect(root.contentType.mimeType == "text/plain")

    builder.textBody = "mostly ASCII with one é"
    root = MIMEPart.parse(builder.build())
    #expect(root.contentTransferEncoding == .quotedPrintable)

    builder.textBody = "日本語のテキストだけ"
    let message = builder.build()
    root = MIMEPart.parse(message)
    #expect(root.contentTransferEncoding == .base64)
    #expect(root.text(in: message) == "日本語のテキストだけ")

    builder.textBody = String(repeating: "x", count: 5000)
    let long = builder.build()
    #expect(MIMEPart.parse(long).contentTransferEncoding == .quotedPrintable)
    #expect(lines(long).allSatisfy { $0.count <= 999 })
}

@Test func longHeadersAreFoldedWithinTheLimit() {
    var builder = MessageBuilder(from: Mailbox("a@example.org"))
    builder.to = (0..<200).map { .mailbox(Mailbox("user\($0)@example.org", displayName: "User Nummer \($0) ö")) }
    builder.subject = String(repeating: "word ", count: 400) + String(repeating: "x", count: 1500)
    let message = builder.build()
    #expect(lines(message).allSatisfy { $0.count <= 999 })
    let header = MIMEPart.parse(message).header
    #expect(header.addresses(named: "To").count == 200)
    #expect(header.addresses(named: "To").last?.mailboxes.first?.displayName == "User Nummer 199 ö")
}

@Test func boundariesAreUniqueAndAbsentFromContent() {
    var builder = sampleBuilder()
    builder.attachments = [Attachment(filename: "a.txt", data: Array("--=_correo_ looks like a boundary\r\n".utf8))]
    let message = builder.build()
    let root = MIMEPart.parse(message)
    let outer = root.contentType.boundary
    let inner = root.children.first?.contentType.boundary
    #expect(outer != nil && inner != nil && outer != inner)
    #expect(root.children.last?.decodedBody(in: message) == Array("--=_correo_ looks like a boundary\r\n".utf8))
}

@Test func mediaTypesComeFromTheExtension() {
    #expect(MediaTypes.mimeType(forFilename: "a.PDF") == "application/pdf")
    #expect(MediaTypes.mimeType(forFilename: "photo.jpg") == "image/jpeg")
    #expect(
        MediaTypes.mimeType(forFilename: "sheet.xlsx")
            == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    #expect(MediaTypes.mimeType(forFilename: "invite.ics") == "text/calendar")
    #expect(MediaTypes.mimeType(forFilename: "noextension") == "application/octet-stream")
    #expect(MediaTypes.mimeType(forFilename: ".hidden") == "application/octet-stream")
    #expect(MediaTypes.mimeType(forFilename: "x.unknownext") == "application/octet-stream")
}

@Test func buildWithSeededGeneratorIsReproducible() {
    let builder = sampleBuilder()
    var first = SeededGenerator(seed: 9)
    var second = SeededGenerator(seed: 9)
    #expect(builder.build(using: &first) == builder.build(using: &second))
}

@Test func headerInjectionThroughValuesIsImpossible() {
    var builder = MessageBuilder(from: Mailbox("a@example.org", displayName: "Eve\r\nBcc: victim@example.org"))
    builder.subject = "Hi\r\nBcc: victim@example.org"
    builder.extraHeaders = [("X-Note", "one\r\nBcc: victim@example.org"), ("Bad Name", "x"), ("Bad:Name", "y")]
    builder.textBody = "body"
    let header = MIMEPart.parse(builder.build()).header
    #expect(!header.contains("Bcc"))
    #expect(header.subject == "Hi\r\nBcc: victim@example.org")
    #expect(header["X-Note"] == "one Bcc: victim@example.org")
    #expect(!header.contains("Bad Name") && !header.contains("Bad"))
}

@Test func attachmentsReadFromFiles() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let url = directory.url.appendingPathComponent("Übersicht.pdf")
    let bytes: [UInt8] = [0x25, 0x50, 0x44, 0x46, 0x00, 0xFF, 0x0A]
    try Data(bytes).write(to: url)
    let attachment = try Attachment(contentsOf: url)
    #expect(attachment.filename == "Übersicht.pdf")
    #expect(attachment.contentType.mimeType == "application/pdf")
    #expect(attachment.data == bytes)
    #expect(throws: (any Error).self) { try Attachment(contentsOf: directory.url.appendingPathComponent("missing")) }
}

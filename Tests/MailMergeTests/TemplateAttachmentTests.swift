import Foundation
import MailTestSupport
import Testing

@testable import MailMerge

/// Issue 15: `mailmerge`'s ATTACHMENT header lines attach files (paths relative to the template, filled
/// in per row) and leave the header block; per-row columns fill To, Cc and Subject.
struct TemplateAttachmentTests {
    static func plan(in directory: TemporaryDirectory, list: String, body: String) throws -> MergePlan {
        try FileManager.default.createDirectory(atPath: directory.path + "/letters", withIntermediateDirectories: true)
        try body.write(toFile: directory.path + "/letters/letter.txt", atomically: true, encoding: .utf8)
        let list = try MergeList(text: list)
        let template = try MergeTemplate(bodyFile: directory.path + "/letters/letter.txt", columns: list.columns)
        return try MergePlan(list: list, template: template, settings: MergeSettings(fromAddress: "me@x.test"))
    }

    @Test func attachmentHeadersBecomePartsPerRow() async throws {
        try await TemporaryDirectory.with { directory in
            let invoice = Data((0..<700).map { UInt8(($0 * 31) % 256) })
            try FileManager.default.createDirectory(
                atPath: directory.path + "/letters/files",
                withIntermediateDirectories: true
            )
            try invoice.write(to: URL(fileURLWithPath: directory.path + "/letters/files/ann.pdf"))
            try Data("terms\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/terms.txt"))
            let plan = try Self.plan(
                in: directory,
                list: "email,name,file,boss\nann@x.test,Ann,ann.pdf,chief@x.test\n",
                body: """
                    TO: {{name}} <{{email}}>
                    CC: {{boss}}
                    SUBJECT: Invoice for {{name}}
                    ATTACHMENT: files/{{file}}
                    ATTACHMENT: ../terms.txt

                    Dear {{name}}, attached.
                    """
            )
            #expect(plan.template.headers.map(\.name) == ["TO", "CC", "SUBJECT"])
            let message = try plan.message(for: plan.list.rows[0])
            let text = String(decoding: message.bytes, as: UTF8.self)
            #expect(!text.lowercased().contains("attachment: "), "\(text)")
            #expect(message.recipients == ["ann@x.test", "chief@x.test"])
            let entity = MIMEEntity(text)
            #expect(entity.header("Subject") == "Invoice for Ann")
            #expect(entity.header("Cc") == "chief@x.test")
            #expect(entity.header("Content-Type")?.hasPrefix("multipart/mixed;") == true)
            let parts = entity.parts
            #expect(parts.count == 3)
            #expect(parts[1].header("Content-Disposition")?.hasSuffix("filename=ann.pdf") == true)
            #expect(parts[1].decodedBody == invoice)
            #expect(parts[2].header("Content-Disposition")?.hasSuffix("filename=terms.txt") == true)
            #expect(parts[2].decodedBody == Data("terms\n".utf8))
        }
    }

    @Test func aMissingOrEmptyAttachmentFailsItsRowAndIsFoundBeforeSending() async throws {
        try await TemporaryDirectory.with { directory in
            try Data("x".utf8).write(to: URL(fileURLWithPath: directory.path + "/letters/a.txt").creatingParent())
            let plan = try Self.plan(
                in: directory,
                list: "email,file\na@x.test,a.txt\nb@x.test,b.txt\nc@x.test,\n",
                body: "Subject: x\nATTACHMENT: {{file}}\n\nhi\n"
            )
            #expect(throws: Never.self) { try plan.message(for: plan.list.rows[0]) }
            let problems = plan.attachmentProblems(in: plan.rows)
            #expect(problems.map(\.row) == [2, 3])
            let letters = URL(fileURLWithPath: directory.path + "/letters").standardizedFileURL.path
            #expect(
                problems[0].reason == "attachment not found: \(letters)/b.txt (ATTACHMENT header, letter.txt line 2)"
            )
            #expect(problems[1].reason == "the ATTACHMENT header, letter.txt line 2 is empty for this row")
            #expect(throws: MergePlan.RowFailure.self) { try plan.message(for: plan.list.rows[1]) }
        }
    }

    @Test func anAttachmentHeaderMayStartTheBlock() throws {
        let template = try MergeTemplate(body: "ATTACHMENT: a.pdf\nSubject: x\n\nbody\n", columns: [])
        #expect(template.attachments.map(\.value) == ["a.pdf"])
        #expect(template.headers.map(\.name) == ["Subject"])
        #expect(template.text == "body\n")
    }
}

extension URL {
    /// Makes the folder the file goes in; returns the file's URL.
    func creatingParent() throws -> URL {
        try FileManager.default.createDirectory(at: deletingLastPathComponent(), withIntermediateDirectories: true)
        return self
    }
}

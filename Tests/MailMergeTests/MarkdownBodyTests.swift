import Foundation
import Testing

@testable import MailMerge

/// Issue 15: a `Content-Type: text/markdown` template (`mailmerge`'s convention) goes as
/// multipart/alternative: the Markdown as the text part, rendered by Ink as the HTML part.
struct MarkdownBodyTests {
    static let body = """
        TO: {{email}}
        SUBJECT: Testing mailmerge
        FROM: My Self <myself@x.test>
        CONTENT-TYPE: text/markdown

        Hi, **{{name}}**,

        You can add:

        - Emphasis, aka italics, with *asterisks*.
        - Links, like [the manual](https://example.com/manual).

        """

    @Test func markdownGoesAsTextAndHTML() throws {
        let list = try MergeList(text: "name,email\nAnn <& Co>,ann@x.test\n")
        let template = try MergeTemplate(body: Self.body, columns: list.columns)
        #expect(template.isMarkdown)
        let plan = try MergePlan(list: list, template: template, settings: MergeSettings(fromAddress: "me@x.test"))
        let entity = MIMEEntity(String(decoding: try plan.message(for: list.rows[0]).bytes, as: UTF8.self))
        #expect(entity.header("Content-Type")?.hasPrefix("multipart/alternative;") == true)
        let parts = entity.parts
        #expect(parts.map { $0.header("Content-Type")?.prefix(10) ?? "" } == ["text/plain", "text/html;"])
        let text = String(decoding: parts[0].decodedBody, as: UTF8.self)
        #expect(text.hasPrefix("Hi, **Ann <& Co>**,\r\n"), "\(text)")
        let html = String(decoding: parts[1].decodedBody, as: UTF8.self)
        #expect(html.hasPrefix("<html><body>"))
        // The field is escaped in the HTML, not taken as a tag.
        #expect(html.contains("<p>Hi, <strong>Ann &lt;&amp; Co&gt;</strong>,</p>"), "\(html)")
        #expect(html.contains("<li>Emphasis, aka italics, with <em>asterisks</em>.</li>"), "\(html)")
        #expect(html.contains("<a href=\"https://example.com/manual\">the manual</a>"), "\(html)")
        // The Content-Type header of the template is not passed on.
        #expect(!entity.headers.contains { $0.value.contains("markdown") })
    }

    @Test func aSeparateHTMLTemplateWinsOverMarkdown() throws {
        let template = try MergeTemplate(body: "Content-Type: text/markdown\n\n**x**\n", html: "<p>y</p>", columns: [])
        #expect(!template.isMarkdown)
        #expect(template.render([:]).html == "<p>y</p>")
    }
}

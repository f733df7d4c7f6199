import Testing

@testable import MailMerge

/// Templates: Mustache, the original's $name, header blocks.
struct MergeTemplateTests {
    @Test func mustacheFieldsAndSections() throws {
        let template = try MergeTemplate(body: "Hi {{name}} <{{email}}>{{#city}} from {{city}}{{/city}}.", columns: ["name", "email", "city"])
        #expect(template.render(["name": "Ann & Bo", "email": "a@x.test", "city": "Quito"]).text == "Hi Ann & Bo <a@x.test> from Quito.")
        #expect(template.render(["name": "Cy", "email": "c@x.test", "city": ""]).text == "Hi Cy <c@x.test>.")
    }

    @Test func originalDollarPlaceholders() throws {
        let template = try MergeTemplate(body: "Dear $name, your ${email} costs $5 and $$name.", columns: ["name", "email"])
        #expect(template.render(["name": "Ann", "email": "a@x.test"]).text == "Dear Ann, your a@x.test costs $5 and $name.")
    }

    @Test func htmlIsEscapedTextIsNot() throws {
        let template = try MergeTemplate(body: "{{name}}", html: "<p>{{name}}</p>", columns: ["name"])
        let rendered = template.render(["name": "<Ann>"])
        #expect(rendered.text == "<Ann>")
        #expect(rendered.html == "<p>&lt;Ann&gt;</p>")
    }

    @Test func headerBlockOnTop() throws {
        let body = "TO: {{name}} <{{email}}>\nSUBJECT: Hello {{name}}\nFROM: Me <me@x.test>\nX-Campaign: spring\n\nDear {{name}},\nbye\n"
        let template = try MergeTemplate(body: body, columns: ["name", "email"])
        let rendered = template.render(["name": "Ann", "email": "a@x.test"])
        #expect(rendered.headers.map(\.name) == ["TO", "SUBJECT", "FROM", "X-Campaign"])
        #expect(rendered.headers[1].value == "Hello Ann")
        #expect(rendered.text == "Dear Ann,\nbye\n")
    }

    @Test func bodyStartingWithAColonIsNotAHeaderBlock() throws {
        let template = try MergeTemplate(body: "Dear Ann: hello\n\nsecond paragraph\n", columns: [])
        #expect(template.headers.isEmpty)
        #expect(template.text == "Dear Ann: hello\n\nsecond paragraph\n")
    }

    @Test func contentTypeHTMLHeaderMakesTheBodyHTML() throws {
        let template = try MergeTemplate(body: "Subject: x\nContent-Type: text/html\n\n<b>{{name}}</b>\n", columns: ["name"])
        #expect(template.text == nil)
        #expect(template.render(["name": "A&B"]).html == "<b>A&amp;B</b>\n")
        #expect(template.headers.map(\.name) == ["Subject"])
    }

    @Test func brokenMustacheIsAnError() {
        #expect(throws: MergeTemplate.Failure.self) { try MergeTemplate(body: "{{#name}} unclosed", columns: ["name"]) }
    }
}

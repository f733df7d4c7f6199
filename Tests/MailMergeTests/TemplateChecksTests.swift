import Testing

@testable import MailMerge

/// Issue 15: a misspelt column stops the merge before anything is built, naming the row, the tag and the
/// template line (`mailmerge` fails the same way on an undefined variable); a broken template says where
/// in words, not as a `MustacheParserContext` record.
struct TemplateChecksTests {
    static func plan(list: String, body: String, subject: String? = nil, resumeFrom: Int = 1) throws -> MergePlan {
        let list = try MergeList(text: list)
        let template = try MergeTemplate(body: body, columns: list.columns, bodyPath: "/tmp/letter.txt")
        return try MergePlan(
            list: list,
            template: template,
            settings: MergeSettings(fromAddress: "me@x.test", subject: subject, resumeFrom: resumeFrom)
        )
    }

    @Test func aMisspeltColumnInTheBodyNamesRowTagAndLine() throws {
        let body = "Subject: Hello\n\nDear {{name}},\n\nyour order for {{naem}} is ready.\n"
        #expect(throws: MergePlan.Failure.self) { try Self.plan(list: "name,email\nAnn,ann@x.test\n", body: body) }
        do {
            _ = try Self.plan(list: "name,email\nAnn,ann@x.test\nBo,bo@x.test\n", body: body, resumeFrom: 2)
        } catch {
            #expect(
                String(describing: error)
                    == "row 2: letter.txt line 5: {{naem}} names no column of the list (its columns: name, email); "
                    + "did you mean {{name}}?"
            )
        }
    }

    @Test func headersSectionsAndTheSubjectAreCheckedToo() throws {
        let list = "email,first,city\nann@x.test,Ann,Quito\n"
        for (body, subject, expected) in [
            (
                "To: {{frist}} <{{email}}>\n\nHi\n", nil as String?,
                "row 1: letter.txt line 1: {{frist}} names no column"
            ),
            (
                "Subject: x\n\n{{#town}}in {{city}}{{/town}}\n", nil,
                "row 1: letter.txt line 3: {{#town}} names no column"
            ),
            ("Hi {{First}}\n", nil, "did you mean {{first}}?"),
            ("Hi\n", "News for {{{frist}}}", "row 1: the subject: {{{frist}}} names no column"),
        ] {
            do {
                _ = try Self.plan(list: list, body: body, subject: subject)
                Issue.record("no error for \(body)")
            } catch {
                #expect(String(describing: error).contains(expected), "\(String(describing: error))")
            }
        }
    }

    @Test func knownFieldsDottedNamesCommentsAndTheOriginalsDollarsPass() throws {
        let plan = try Self.plan(
            list: "name,email,city\nAnn,ann@x.test,Quito\n",
            body: "{{! a comment }}Hi {{name}} {{email}} {{city.length}} {{#city}}{{.}}{{/city}} $name $unknown\n"
        )
        #expect(try plan.message(for: plan.list.rows[0]).bytes.count > 0)
    }

    @Test func anUnclosedSectionSaysWhereItOpens() {
        do {
            _ = try MergeTemplate(
                body: "Subject: x\n\nHi\n{{#city}} from {{city}}\nbye\n",
                columns: ["city"],
                bodyPath: "/t/letter.txt"
            )
            Issue.record("no error")
        } catch {
            #expect(
                String(describing: error)
                    == "letter.txt line 4, column 1: {{#city}} opens a section that is never closed (write {{/city}} after it)"
            )
        }
    }

    @Test func aSectionClosedByAnotherNameSaysWhich() {
        do {
            _ = try MergeTemplate(body: "Subject: x\n\n{{#a}}\n{{/b}}\n", columns: ["a", "b"], bodyPath: "letter.txt")
            Issue.record("no error")
        } catch {
            #expect(
                String(describing: error)
                    == "letter.txt line 4, column 1: {{/b}} closes {{#a}}, opened on line 3; close it with {{/a}}"
            )
        }
    }

    @Test func aParserErrorIsWordsWithLineAndColumn() {
        do {
            _ = try MergeTemplate(body: "Hello\nDear {{name}\n", columns: ["name"], bodyPath: "letter.txt")
            Issue.record("no error")
        } catch {
            #expect(!String(describing: error).contains("MustacheParserContext"), "\(String(describing: error))")
        }
        do {
            // On the first line, after the pragma correo puts before a text template.
            _ = try MergeTemplate(body: "Dear {{name}\n", columns: ["name"], bodyPath: "letter.txt")
            Issue.record("no error")
        } catch {
            #expect(String(describing: error).hasSuffix("(in \"Dear {{name}\")"), "\(String(describing: error))")
        }
        do {
            _ = try MergeTemplate(body: "Hello\nDear {{name}\n", columns: ["name"], bodyPath: "letter.txt")
            Issue.record("no error")
        } catch {
            #expect(!String(describing: error).contains("MustacheParserContext"), "\(String(describing: error))")
            #expect(!String(describing: error).contains("ParserError"), "\(String(describing: error))")
            #expect(String(describing: error).hasPrefix("letter.txt line 2, column"), "\(String(describing: error))")
            #expect(String(describing: error).hasSuffix("(in \"Dear {{name}\")"), "\(String(describing: error))")
        }
    }

    @Test func closestColumn() {
        #expect(MergePlan.closest(to: "naem", among: ["email", "name"]) == "name")
        #expect(MergePlan.closest(to: "EMAIL", among: ["email", "name"]) == "email")
        #expect(MergePlan.closest(to: "zip", among: ["email", "name"]) == nil)
    }
}

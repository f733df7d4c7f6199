import SMTPCore
import Testing

@Suite struct ExtensionsTests {
    @Test func readsTheEHLOReply() {
        let reply = SMTPReply(
            code: 250,
            nil,
            lines: ["mx.example greets you", "PIPELINING", "SIZE 1000", "auth plain LOGIN", "STARTTLS"]
        )
        let extensions = SMTPExtensions(ehloReply: reply)
        #expect(extensions.supports("pipelining"))
        #expect(extensions.supports("STARTTLS"))
        #expect(!extensions.supports("CHUNKING"))
        #expect(!extensions.supports("mx.example"))
        #expect(extensions.maximumSize == 1000)
        #expect(extensions.authenticationMechanisms == ["PLAIN", "LOGIN"])
    }

    @Test func heloStyleReplyHasNoExtensions() {
        let extensions = SMTPExtensions(ehloReply: SMTPReply(code: 250, nil, "mx.example"))
        #expect(extensions.keywords.isEmpty)
        #expect(extensions.maximumSize == nil)
        #expect(extensions.authenticationMechanisms.isEmpty)
    }
}

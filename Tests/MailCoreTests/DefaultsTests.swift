import Testing

@testable import MailCore

@Test func limitsFollowTheRFCs() {
    #expect(MailCoreDefaults.maxLineLength == 998)
    #expect(MailCoreDefaults.maxEncodedWordLength == 75)
}

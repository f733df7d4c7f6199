import Testing

@testable import MailCore

@Test func addressListStopsAtTheLimit() {
    let limit = MailCoreDefaults.maxAddressesPerField
    func list(_ count: Int) -> String { (0..<count).map { "u\($0)@example.org" }.joined(separator: ",") }
    #expect(Address.parseList(list(limit)).count == limit)
    #expect(Address.parseList(list(limit + 1)).count == limit)
}

@Test func parameterContinuationsStopAtTheLimit() {
    let last = MailCoreDefaults.maxParameterContinuations - 1
    let accepted = MIMEParameters.parse(Array("; a*0=x; a*\(last)=y".utf8)[...])
    #expect(accepted["a"] == "xy")
    let refused = MIMEParameters.parse(Array("; a*0=x; a*\(last + 1)=y".utf8)[...])
    #expect(refused["a"] != "xy")
}

@Test func addressLengthLimitsFollowRFC5321() {
    #expect(MailCoreDefaults.maxLocalPartLength == 64)
    #expect(MailCoreDefaults.maxAddressLength == 254)
    #expect(EmailAddress.isValid(String(repeating: "a", count: 64) + "@x.org"))
    #expect(!EmailAddress.isValid(String(repeating: "a", count: 65) + "@x.org"))
}

@Test func displayNamesCanStayEncodedForIMAPEnvelopes() {
    let raw = "=?UTF-8?Q?J=C3=B6rg?= <j@example.de>"
    #expect(
        Address.parseList(raw, decodingEncodedWords: false).first?.mailboxes.first?.displayName
            == "=?UTF-8?Q?J=C3=B6rg?="
    )
    #expect(Address.parseList(raw).first?.mailboxes.first?.displayName == "Jörg")
}

@Test func encodedWordLengthLimitIsEnforced() {
    let limit = MailCoreDefaults.maxEncodedWordDecodeLength
    func word(length: Int) -> String {
        let frame = "=?utf-8?q??=".utf8.count
        return "=?utf-8?q?" + String(repeating: "a", count: length - frame) + "?="
    }
    #expect(EncodedWord.decode(word(length: limit)) == String(repeating: "a", count: limit - 12))
    #expect(EncodedWord.decode(word(length: limit + 1)) == word(length: limit + 1))
    let hostile = String(repeating: "=?a?q?x", count: 5_000)
    #expect(EncodedWord.decode(hostile) == hostile)
}

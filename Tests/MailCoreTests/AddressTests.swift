import MailTestSupport
import Testing

@testable import MailCore

@Test func parsesNameAddrAndAddrSpec() {
    let list = Address.parseList("Alice Example <alice@example.org>, bob@example.com")
    #expect(
        list == [
            .mailbox(Mailbox(displayName: "Alice Example", localPart: "alice", domain: "example.org")),
            .mailbox(Mailbox(localPart: "bob", domain: "example.com")),
        ]
    )
}

@Test func parsesGroupsIncludingEmptyOnes() {
    let header = MessageHeader.parse(MessageCorpus.groupAddresses).header
    let to = header.addresses(named: "To")
    #expect(to.count == 2)
    #expect(
        to.first
            == .group(
                name: "Team",
                members: [
                    Mailbox(localPart: "alice", domain: "example.org"),
                    Mailbox(displayName: "Bob B.", localPart: "bob", domain: "example.com"),
                ]
            )
    )
    #expect(to.last?.mailboxes == [Mailbox(localPart: "carol", domain: "example.net")])
    #expect(header.addresses(named: "Cc") == [.group(name: "undisclosed-recipients", members: [])])
}

@Test func decodesEncodedAndQuotedDisplayNames() {
    #expect(
        Address.mailboxes(in: Array("=?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>".utf8)).first?.displayName == "André"
    )
    #expect(Address.mailboxes(in: Array("\"Doe, John\" <john@example.org>".utf8)).first?.displayName == "Doe, John")
    #expect(Address.mailboxes(in: Array("\"=?UTF-8?B?w5xiZXI=?=\" <u@example.org>".utf8)).first?.displayName == "Über")
    #expect(
        Address.mailboxes(in: Array("\"a \\\"quoted\\\" name\" <q@example.org>".utf8)).first?.displayName
            == "a \"quoted\" name"
    )
}

@Test func acceptsObsoleteForms() {
    let header = MessageHeader.parse(MessageCorpus.obsoleteDateAndAddresses).header
    let from = header.addresses(named: "From").first?.mailboxes.first
    #expect(from == Mailbox(displayName: "Old Style", localPart: "old", domain: "example.org"))
    #expect(header.addresses(named: "To").first?.mailboxes.first?.address == "bob@example.com")
    #expect(Address.parseList("john . doe @ example . org").first?.mailboxes.first?.address == "john.doe@example.org")
    #expect(Address.parseList(",,a@b.c,,").count == 1)
}

@Test func keepsTheSourceRouteApartFromTheAddress() {
    let routed = Address.mailboxes(in: Array("Al <@route.test:alice@example.org>".utf8)).first
    #expect(routed == Mailbox(displayName: "Al", localPart: "alice", domain: "example.org", route: "@route.test"))
    #expect(routed?.address == "alice@example.org")
    let twoHops = Address.mailboxes(in: Array("<@a.test, (hop) @b.test:bob@example.org>".utf8)).first
    #expect(twoHops?.route == "@a.test,@b.test")
    #expect(Address.mailboxes(in: Array("<carol@example.org>".utf8)).first?.route == nil)
}

@Test func keepsQuotedLocalPartsAndUTF8() {
    let quoted = Address.mailboxes(in: Array("\"john doe\"@example.org".utf8)).first
    #expect(quoted?.localPart == "john doe")
    #expect(quoted?.address == "\"john doe\"@example.org")
    let utf8 = MessageHeader.parse(MessageCorpus.utf8Headers).header.addresses(named: "From").first?.mailboxes.first
    #expect(utf8 == Mailbox(displayName: "Zoë", localPart: "zoë", domain: "例え.jp"))
}

@Test func junkGivesTheMostUsefulParse() {
    #expect(Address.parseList("<<<>>>@@@,;;:::").allSatisfy { !$0.description.isEmpty || true })
    #expect(Address.parseList("Bob <bob@example.com").first?.mailboxes.first?.address == "bob@example.com")
    #expect(Address.parseList("(only a comment)").isEmpty)
    #expect(Address.parseList("").isEmpty)
    #expect(Address.parseList("alice@example.org (Alice").first?.mailboxes.first?.address == "alice@example.org")
}

@Test func encodesMailboxesForHeaders() {
    #expect(Mailbox("alice@example.org", displayName: "Alice").encoded == "Alice <alice@example.org>")
    #expect(Mailbox("x@example.org", displayName: "Doe, John").encoded == "\"Doe, John\" <x@example.org>")
    let encoded = Mailbox("j@example.de", displayName: "Jörg Müller").encoded
    #expect(encoded.hasPrefix("=?UTF-8?"))
    #expect(Address.mailboxes(in: Array(encoded.utf8)) == [Mailbox("j@example.de", displayName: "Jörg Müller")])
    #expect(Address.group(name: "Team", members: [Mailbox("a@b.c")]).encoded == "Team: a@b.c;")
}

@Test func validatesAddrSpecsForSMTP() {
    for valid in [
        "a@b.c", "first.last@example.org", "user+tag@sub.example.co.uk", "\"john doe\"@example.org",
        "x@localhost", "postmaster@[192.0.2.1]", "zoë@例え.jp", "o'neil@example.ie",
    ] {
        #expect(EmailAddress.isValid(valid), "\(valid)")
    }
    for invalid in [
        "", "a", "@b.c", "a@", "a@@b.c", "a b@c.d", ".a@b.c", "a.@b.c", "a..b@c.d", "a@-b.c",
        "a@b-.c", "a@b..c", "Alice <a@b.c>", "a@b.c ", "\"unterminated@b.c",
    ] {
        #expect(!EmailAddress.isValid(invalid), "\(invalid)")
    }
    let local64 = String(repeating: "a", count: 64)
    #expect(EmailAddress.isValid(local64 + "@b.c"))
    #expect(!EmailAddress.isValid(local64 + "a@b.c"))
    let label63 = String(repeating: "d", count: 63)
    #expect(EmailAddress.isValid("a@" + label63 + ".c"))
    #expect(!EmailAddress.isValid("a@" + label63 + "d.c"))
    let atLimit = "a@" + Array(repeating: "ddddddddd", count: 25).joined(separator: ".") + ".ab"
    #expect(atLimit.utf8.count == 254 && EmailAddress.isValid(atLimit))
    #expect(!EmailAddress.isValid(atLimit + "c"))
}

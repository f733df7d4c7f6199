import Foundation
import MailStore
import MailTestSupport
import NIOCore
import SMTPServer
import Testing

@testable import CorreoServer

/// Issue 19: `correo smtpd` keeps the original's rule (any local part at a local domain, its Maildir made at
/// the first delivery); `correo serve` refuses unknown users unless told otherwise.
@Suite(.offThePool) struct RecipientRuleTests {
    @Test(
        arguments: [
            ("Test6@localhost.com", "test6@localhost.com"),
            ("jeffmy@izthero.com", "jeffmy@izthero.com"),
            ("first.last+tag@izthero.com", "first.last+tag@izthero.com"),
            (".hidden@izthero.com", nil),
            ("a/b@izthero.com", nil),
            ("tab\there@izthero.com", nil),
        ] as [(String, String?)]
    )
    func anyLocalPartThatCanNameAMaildirIsAMailbox(address: String, mailbox: String?) async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url)
            let open = try await MailStoreDelivery(store: store, acceptsUnknownRecipients: true).mailbox(for: address)
            #expect(open == mailbox)
            let strict = try await MailStoreDelivery(store: store).mailbox(for: address)
            #expect(strict == nil)
        }
    }

    @Test func theFirstDeliveryMakesTheMaildirNamedAfterTheAddress() async throws {
        try await TemporaryDirectory.with { directory in
            let store = MailStore(root: directory.url)
            let delivery = MailStoreDelivery(store: store, acceptsUnknownRecipients: true)
            let mailbox = try #require(try await delivery.mailbox(for: "Test6@localhost.com"))
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/test6@localhost.com"))
            let message = try await delivery.beginMessage()
            try await message.write(ByteBuffer(string: "Subject: hi\r\n\r\nhello\r\n"))
            try await message.deliver(to: [mailbox])
            let new = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/test6@localhost.com/new")
            #expect(new.count == 1)
            // From now on the address is a user of the store, whatever the rule.
            let known = try await MailStoreDelivery(store: store).mailbox(for: "TEST6@localhost.com")
            #expect(known == "test6@localhost.com")
        }
    }
}

import CorreoServer
import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOCore
import SMTPServer

/// A dev store in a temporary folder, and a way to deliver into it as the SMTP server does.
struct DevFixture {
    let folder: TemporaryDirectory
    let store: MailStore
    let messages: DevMessages
    let delivery: DevDelivery

    init() throws {
        folder = try TemporaryDirectory(prefix: "correo-dev")
        store = MailStore(root: folder.url)
        messages = DevMessages(store: store, logger: Logger(label: "test"))
        delivery = DevDelivery(store: store, messages: messages)
    }

    /// Delivers `text` (LF line ends allowed) from `sender` to `recipients` through the catch-all.
    func deliver(_ text: String, from sender: String = "app@app.example", to recipients: [String]) async throws {
        var mailboxes: [String] = []
        for recipient in recipients {
            guard let mailbox = await delivery.mailbox(for: recipient) else {
                throw DevTestFailure("no mailbox for \(recipient)")
            }
            mailboxes.append(mailbox)
        }
        let message = try await delivery.beginMessage()
        try await message.write(ByteBuffer(string: text.replacingOccurrences(of: "\n", with: "\r\n")))
        try await message.deliver(
            to: mailboxes,
            origin: SMTPMessageOrigin(
                clientAddress: "127.0.0.1",
                heloName: "test",
                sender: sender,
                authenticatedUser: nil
            )
        )
    }

    static func mail(to: String, subject: String, body: String = "Hello.") -> String {
        "From: App <app@app.example>\nTo: \(to)\nSubject: \(subject)\nDate: Thu, 03 Dec 2026 18:00:00 +0000\n\n\(body)\n"
    }
}

struct DevTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

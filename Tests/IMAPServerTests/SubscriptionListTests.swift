import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOPosix
import Testing

@testable import IMAPServer

/// RFC 3501 6.3.6/6.3.9 and RFC 5258 3.1: a subscription is a name; LSUB and LIST (SUBSCRIBED) list the
/// subscribed names whose mailbox does not exist (not yet made, or deleted) as not selectable, and the
/// plain LIST lists only mailboxes.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct SubscriptionListTests {
    static let user = "ana@example.org"
    static let password = "pass word"

    @Test(arguments: StorageBackend.allCases)
    func subscribedNamesWithoutAMailboxAreListedAsNonExistent(_ backend: StorageBackend) async throws {
        try await backend.with { store in
            try await TemporaryDirectory.with { spool in
                try await store.addUser(Self.user, password: Self.password)
                let server = IMAPServer.serving(
                    store,
                    spool: spool.url,
                    configuration: .init(allowPlaintextAuth: true),
                    tlsContext: nil,
                    label: "subscription-list-test"
                )
                let ports = try await server.start(listeners: [.init(kind: .startTLS, host: "127.0.0.1", port: 0)])
                do {
                    let answers = try await IMAPScript.run(
                        port: ports[0],
                        user: Self.user,
                        password: Self.password,
                        [
                            #"SUBSCRIBE "Later""#, #"CREATE "Gone""#, #"SUBSCRIBE "Gone""#, #"DELETE "Gone""#,
                            #"LSUB "" "*""#, #"LIST (SUBSCRIBED) "" "*""#, #"LIST "" "*""#,
                            #"LIST "" "*" RETURN (SUBSCRIBED)"#, #"LIST (SUBSCRIBED) "" "L%""#,
                        ]
                    )
                    #expect(answers.allSatisfy { $0.status == "OK" }, "\(answers.map { "\($0.command): \($0.text)" })")
                    func text(_ command: String) -> String { answers.first { $0.command == command }?.text ?? "" }

                    let lsub = text(#"LSUB "" "*""#)
                    #expect(lsub.contains("* LSUB (\\Noselect) \"/\" Later\r\n"), "\(lsub)")
                    #expect(lsub.contains("* LSUB (\\Noselect) \"/\" Gone\r\n"), "\(lsub)")
                    #expect(lsub.contains("* LSUB () \"/\" INBOX\r\n"), "\(lsub)")

                    let subscribed = text(#"LIST (SUBSCRIBED) "" "*""#)
                    #expect(subscribed.contains("* LIST (\\NonExistent \\Subscribed) \"/\" Later\r\n"), "\(subscribed)")
                    #expect(subscribed.contains("* LIST (\\NonExistent \\Subscribed) \"/\" Gone\r\n"), "\(subscribed)")
                    #expect(subscribed.contains("\\Subscribed) \"/\" INBOX\r\n"), "\(subscribed)")
                    #expect(text(#"LIST (SUBSCRIBED) "" "L%""#).contains("Later"))
                    #expect(!text(#"LIST (SUBSCRIBED) "" "L%""#).contains("Gone"))

                    for plain in [#"LIST "" "*""#, #"LIST "" "*" RETURN (SUBSCRIBED)"#] {
                        #expect(!text(plain).contains("Later") && !text(plain).contains("Gone"), "\(text(plain))")
                        #expect(text(plain).contains("INBOX"))
                    }
                } catch {
                    try? await server.shutdown()
                    throw error
                }
                try await server.shutdown()
            }
        }
    }
}

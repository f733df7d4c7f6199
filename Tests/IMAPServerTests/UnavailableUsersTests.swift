import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOPosix
import Testing

@testable import IMAPServer

/// RFC 5530: when the users' store fails, LOGIN is answered `NO [UNAVAILABLE]`, never taken for a wrong
/// password: no failed-login cut-off, the connection stays usable.
@Suite(.offThePool, .timeLimit(.minutes(5))) struct UnavailableUsersTests {
    @Test func loginIsUnavailableAndTheConnectionLives() async throws {
        try await TemporaryDirectory.with { directory in
            let server = IMAPServer(
                configuration: .init(allowPlaintextAuth: true, maxFailedLogins: 2),
                store: MailStore(root: directory.url),
                users: UnreachableUsers(),
                tlsContext: nil,
                group: MultiThreadedEventLoopGroup.singleton,
                logger: Logger(label: "unavailable-users-test")
            )
            let ports = try await server.start(listeners: [.init(kind: .startTLS, host: "127.0.0.1", port: 0)])
            do {
                // IMAPScript's own LOGIN comes first: with the one below and this, more than the cut-off of 2.
                let answers = try await IMAPScript.run(
                    port: ports[0],
                    user: "bob@example.org",
                    password: "right or wrong",
                    [#"LOGIN "bob@example.org" "again""#, #"LOGIN "bob@example.org" "and again""#]
                )
                #expect(answers.count == 3)
                for answer in answers.prefix(2) {
                    #expect(answer.status == "NO", "\(answer.text)")
                    #expect(answer.text.contains("NO [UNAVAILABLE]"), "\(answer.text)")
                    #expect(!answer.text.contains("BYE"), "\(answer.text)")
                }
                #expect(answers.last?.status == "OK", "the NOOP after them: \(String(describing: answers.last))")
            } catch {
                try? await server.shutdown()
                throw error
            }
            try await server.shutdown()
        }
    }
}

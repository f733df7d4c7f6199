import Foundation
import Logging
import MailStore
import MailTestSupport
import NIOCore
import NIOPosix
import Testing

@testable import IMAPServer

extension MailStoreExecutor {
    /// Whether this runs on the executor's loop (for the test below).
    fileprivate func isOnItsLoop() -> Bool { loop.inEventLoop }
}

/// A session's commands run on its connection's event loop (`MailStoreExecutor.loop`), between their
/// waits on the store: a default actor would run them on Swift's shared pool instead.
@Suite(.offThePool) struct ExecutorLoopTests {
    @Test func aSessionsCommandsRunOnItsLoopAndAnswerThere() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        try await TemporaryDirectory.with(prefix: "executor-loop") { directory in
            let store = MailStore(root: directory.url)
            let user = "dora@example.org"
            try store.createUserMaildir(user)
            _ = try await store.deliver(bytes: Array("Subject: s\r\n\r\nbody\r\n".utf8), to: [user])
            let executor = MailStoreExecutor(store: store, users: store, runsOn: loop, logger: Logger(label: "test"))
            #expect(await executor.isOnItsLoop())
            let sink = ResponseSink { _ in }
            for line in ["SELECT INBOX", "FETCH 1 BODY.PEEK[]", "NOOP"] {
                let parsed = try #require(command("a " + line))
                let answer = loop.makePromise(of: CommandOutcome.self)
                let request = ExecutionRequest(tag: "a", command: parsed, user: user, condStore: false)
                await executor.execute(request, sink: sink, answer: answer)
                let outcome = try await answer.futureResult.get()
                let text = String(decoding: IMAPResponseEncoder.encode(outcome.responses), as: UTF8.self)
                #expect(text.contains("a OK"), "\(line): \(text)")
                if line.hasPrefix("FETCH") { #expect(text.contains("body")) }
                #expect(await executor.isOnItsLoop())
            }
        }
    }
}

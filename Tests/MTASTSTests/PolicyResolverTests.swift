import Foundation
import Logging
import MailTestSupport
import Synchronization
import Testing

@testable import MTASTS

/// The TXT records of a test, changed as it goes.
final class TXTTable: TXTResolving, Sendable {
    let answers = Mutex<[String: TXTAnswer]>([:])
    func txtAnswer(_ name: String) async -> TXTAnswer { answers.withLock { $0[name] ?? .none } }
    func set(_ name: String, _ answer: TXTAnswer) { answers.withLock { $0[name] = answer } }
}

/// A policy server of a test: the body it serves, or the error, and how often it was asked.
final class PolicyServer: STSPolicyFetching, Sendable {
    let state = Mutex<(body: Result<String, STSFetchError>, fetches: Int)>(
        (.failure(STSFetchError(.stsPolicyFetchError, "down")), 0)
    )
    func fetchPolicy(domain: String) async throws(STSFetchError) -> String {
        let body = state.withLock { state in
            state.fetches += 1
            return state.body
        }
        return try body.get()
    }
    func serve(_ body: String) { state.withLock { $0.body = .success(body) } }
    func fail(_ error: STSFetchError) { state.withLock { $0.body = .failure(error) } }
    var fetches: Int { state.withLock { $0.fetches } }
}

final class TestClock: Sendable {
    let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
    var read: @Sendable () -> Date { { self.now.withLock { $0 } } }
}

@Suite(.offThePool) struct PolicyResolution {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mtasts-\(UUID().uuidString)")
    let dns = TXTTable()
    let server = PolicyServer()
    let clock = TestClock()
    static let enforce = "version: STSv1\nmode: enforce\nmx: mx.example.org\nmax_age: 3600\n"
    static let testing = "version: STSv1\nmode: testing\nmx: *.example.org\nmax_age: 3600\n"

    func resolver() -> STSPolicyResolver {
        STSPolicyResolver(
            dns: dns,
            fetcher: server,
            cache: STSPolicyCache(folder: folder),
            logger: Logger(label: "test"),
            clock: clock.read
        )
    }

    @Test func aDomainWithoutTheTXTRecordHasNoPolicyAndIsNotFetched() async {
        #expect(await resolver().decision(for: "example.org") == .noPolicy)
        #expect(server.fetches == 0)
    }

    @Test func aPolicyIsFetchedOnceAndCachedOnDiskAcrossRestarts() async throws {
        dns.set("_mta-sts.example.org", .texts(["v=STSv1; id=1"]))
        server.serve(Self.enforce)
        let first = resolver()
        #expect(await first.decision(for: "example.org") == .policy(try STSPolicy.parse(Self.enforce)))
        #expect(await first.decision(for: "Example.ORG") == .policy(try STSPolicy.parse(Self.enforce)))
        // a new process over the same STORAGE: still cached
        #expect(await resolver().decision(for: "example.org") == .policy(try STSPolicy.parse(Self.enforce)))
        #expect(server.fetches == 1)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("example.org.json").path))
    }

    @Test func aNewIDFetchesAgain() async throws {
        dns.set("_mta-sts.example.org", .texts(["v=STSv1; id=1"]))
        server.serve(Self.enforce)
        let resolver = resolver()
        _ = await resolver.decision(for: "example.org")
        dns.set("_mta-sts.example.org", .texts(["v=STSv1; id=2"]))
        server.serve(Self.testing)
        #expect(await resolver.decision(for: "example.org") == .policy(try STSPolicy.parse(Self.testing)))
        #expect(server.fetches == 2)
        #expect(STSPolicyCache(folder: folder).entry(for: "example.org")?.id == "2")
    }

    /// RFC 8461 §5.1: a valid cached policy stays when the new one cannot be fetched, and when the TXT
    /// record disappears.
    @Test func aFailedFetchKeepsTheCachedPolicyUntilItExpires() async throws {
        dns.set("_mta-sts.example.org", .texts(["v=STSv1; id=1"]))
        server.serve(Self.enforce)
        let resolver = resolver()
        _ = await resolver.decision(for: "example.org")
        dns.set("_mta-sts.example.org", .texts(["v=STSv1; id=2"]))
        server.fail(STSFetchError(.stsWebPKIInvalid, "bad certificate"))
        #expect(await resolver.decision(for: "example.org") == .policy(try STSPolicy.parse(Self.enforce)))
        dns.set("_mta-sts.example.org", .none)
        #expect(await resolver.decision(for: "example.org") == .policy(try STSPolicy.parse(Self.enforce)))
        dns.set("_mta-sts.example.org", .temporaryFailure("timeout"))
        #expect(await resolver.decision(for: "example.org") == .policy(try STSPolicy.parse(Self.enforce)))
        clock.advance(3601)  // max_age over: the old policy is gone
        dns.set("_mta-sts.example.org", .texts(["v=STSv1; id=2"]))
        #expect(
            await resolver.decision(for: "example.org")
                == .unavailable(STSFetchError(.stsWebPKIInvalid, "bad certificate"))
        )
        dns.set("_mta-sts.example.org", .none)
        #expect(await resolver.decision(for: "example.org") == .noPolicy)
    }

    @Test func anInvalidPolicyIsReportedAndNotCached() async {
        dns.set("_mta-sts.example.org", .texts(["v=STSv1; id=1"]))
        server.serve("version: STSv1\nmode: enforce\nmax_age: 3600\n")
        let decision = await resolver().decision(for: "example.org")
        guard case .unavailable(let error) = decision else {
            Issue.record("expected unavailable, got \(decision)")
            return
        }
        #expect(error.resultType == .stsPolicyInvalid)
        #expect(STSPolicyCache(folder: folder).entry(for: "example.org") == nil)
    }

    @Test func aFailedFetchIsNotRepeatedAtOnce() async throws {
        dns.set("_mta-sts.example.org", .texts(["v=STSv1; id=1"]))
        let resolver = resolver()
        _ = await resolver.decision(for: "example.org")
        _ = await resolver.decision(for: "example.org")
        #expect(server.fetches == 1)
        clock.advance(STSPolicyResolver.failureBackoff + 1)
        server.serve(Self.enforce)
        #expect(await resolver.decision(for: "example.org") == .policy(try STSPolicy.parse(Self.enforce)))
        #expect(server.fetches == 2)
    }
}

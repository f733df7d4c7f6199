import Foundation
import MailTestSupport
import NIOCore
import Testing

@testable import MTASTS

/// The HTTPS fetch against a real TLS server (Python's http.server with ssl on 127.0.0.1).
@Suite(.offThePool) struct HTTPSPolicyFetching {
    /// A running policy server; stopped by closing its standard input.
    final class PolicyServer: @unchecked Sendable {
        let process = SpawnedProcess()
        let input = Pipe()
        let port: Int

        init(tls: TestTLS, mode: String) throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "policy_server.py"
            )
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script.path, tls.certificatePath, tls.privateKeyPath, mode]
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let text = SMTPSink.firstLine(of: output)  // "PORT n"
            guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
                process.terminate()
                throw TestTLS.Failure.opensslFailed(status: -1)
            }
            self.port = port
        }

        func stop() {
            try? input.fileHandleForWriting.close()
            process.terminate()
            process.waitForExit()
        }
    }

    func fetch(
        mode: String,
        trusted: Bool = true,
        timeout: TimeAmount = .seconds(10)
    ) async throws -> Result<String, STSFetchError> {
        try await TemporaryDirectory.with { directory in
            let tls = try TestTLS.make(in: directory, commonName: "mta-sts.example.org")
            let server = try PolicyServer(tls: tls, mode: mode)
            defer { server.stop() }
            var fetcher = try HTTPSPolicyFetcher(caFile: trusted ? tls.certificatePath : nil) { host in
                host == "mta-sts.example.org" ? ["127.0.0.1"] : []
            }
            fetcher.port = server.port
            fetcher.timeout = timeout
            do throws(STSFetchError) {
                return .success(try await fetcher.fetchPolicy(domain: "example.org"))
            } catch {
                return .failure(error)
            }
        }
    }

    @Test func aPolicyIsFetchedWithTheOperatorsCA() async throws {
        let body = try await fetch(mode: "ok").get()
        #expect(try STSPolicy.parse(body) == STSPolicy(mode: .enforce, mx: ["mx.example.org"], maxAge: 86400))
    }

    @Test func anUntrustedCertificateIsAWebPKIFailure() async throws {
        let result = try await fetch(mode: "ok", trusted: false)
        #expect(throws: STSFetchError.self) { try result.get() }
        if case .failure(let error) = result { #expect(error.resultType == .stsWebPKIInvalid) }
    }

    @Test func redirectsAreNotFollowed() async throws {
        let result = try await fetch(mode: "redirect")
        guard case .failure(let error) = result else {
            Issue.record("a redirect was followed")
            return
        }
        #expect(error.resultType == .stsPolicyFetchError)
        #expect(error.reason.contains("HTTP 301"))
    }

    @Test func onlyTextPlainIsAPolicy() async throws {
        let result = try await fetch(mode: "html")
        guard case .failure(let error) = result else {
            Issue.record("text/html was taken")
            return
        }
        #expect(error.resultType == .stsPolicyInvalid)
    }

    @Test func aBodyOver64KiBIsRefused() async throws {
        let result = try await fetch(mode: "big")
        guard case .failure(let error) = result else {
            Issue.record("a 70 KiB body was taken")
            return
        }
        #expect(error.reason.contains("larger than 65536"))
    }

    /// A server that holds the request for 30 s gets the fetcher's own "no answer in time".
    ///
    /// Only the fetcher's deadline (3 s here) says so (no wall-clock bound: openssl and Python start
    /// slowly on a loaded machine). The deadline bounds the connect too: at 1 s, a full test run on two
    /// cores once took longer to connect.
    @Test func aSilentServerTimesOut() async throws {
        let result = try await fetch(mode: "silent", timeout: .seconds(3))
        guard case .failure(let error) = result else {
            Issue.record("no timeout")
            return
        }
        #expect(error.reason.contains("no answer in time"))
    }

    @Test func aHostWithoutAddressFails() async throws {
        let fetcher = try HTTPSPolicyFetcher { _ in [] }
        await #expect(throws: STSFetchError(.stsPolicyFetchError, "no address for mta-sts.nowhere.example")) {
            try await fetcher.fetchPolicy(domain: "nowhere.example")
        }
    }
}

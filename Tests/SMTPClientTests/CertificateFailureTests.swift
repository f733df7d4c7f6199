import Foundation
import MailTestSupport
import SMTPClient
import Testing

/// Why a server's certificate did not verify, told apart as RFC 8460 §4.3.1 wants it (TLS-RPT's
/// certificate-expired, certificate-not-trusted, certificate-host-mismatch): real certificates made by
/// an authority of the test, served by aiosmtpd over STARTTLS and implicit TLS.
@Suite(.offThePool) struct CertificateFailureTests {
    static let yesterday = Date().addingTimeInterval(-86_400)

    /// Connects to a sink serving `tls` and trusting `authority`; the error, nil when the session started.
    static func failure(
        serving tls: TestTLS,
        trusting authority: TestCertificateAuthority,
        implicitTLS: Bool = false,
        in directory: TemporaryDirectory
    ) async throws -> SMTPClientError? {
        let sink = try SMTPSink(outdir: directory.url, tls: tls, implicitTLS: implicitTLS)
        defer { sink.stop() }
        do {
            let connection = try await SMTPClient.connect(
                host: "127.0.0.1",
                port: sink.port,
                tls: implicitTLS ? .implicit : .startTLS(.required),
                trust: .certificateAuthorities(pemFile: authority.certificatePath)
            )
            await connection.close()
            return nil
        } catch {
            return error
        }
    }

    @Test func aValidCertificateOfTheTrustedAuthorityIsAccepted() async throws {
        try await TemporaryDirectory.with { directory in
            let authority = try TestCertificateAuthority.make(in: directory)
            let valid = try authority.issue("valid", hosts: ["mx.b.test", "127.0.0.1"])
            #expect(try await Self.failure(serving: valid, trusting: authority, in: directory) == nil)
        }
    }

    @Test func anExpiredCertificateOfATrustedAuthorityIsExpired() async throws {
        try await TemporaryDirectory.with { directory in
            let authority = try TestCertificateAuthority.make(in: directory)
            let expired = try authority.issue(
                "expired",
                hosts: ["mx.b.test", "127.0.0.1"],
                notValidBefore: Self.yesterday.addingTimeInterval(-86_400),
                notValidAfter: Self.yesterday
            )
            let failure = try await Self.failure(serving: expired, trusting: authority, in: directory)
            #expect(failure == .tlsHandshakeFailed(.certificateExpired))
            let implicit = try await Self.failure(
                serving: expired,
                trusting: authority,
                implicitTLS: true,
                in: directory
            )
            #expect(implicit == .tlsHandshakeFailed(.certificateExpired))
        }
    }

    @Test func aCertificateOfAnotherAuthorityIsNotTrusted() async throws {
        try await TemporaryDirectory.with { directory in
            let trusted = try TestCertificateAuthority.make(in: directory, name: "trusted")
            let stranger = try TestCertificateAuthority.make(in: directory, name: "stranger")
            let valid = try stranger.issue("valid", hosts: ["mx.b.test", "127.0.0.1"])
            #expect(
                try await Self.failure(serving: valid, trusting: trusted, in: directory)
                    == .tlsHandshakeFailed(.certificateNotTrusted)
            )
            // Expired as well: without a trust anchor the chain fails first, as BoringSSL checks it.
            let expired = try stranger.issue(
                "expired",
                hosts: ["127.0.0.1"],
                notValidBefore: Self.yesterday.addingTimeInterval(-86_400),
                notValidAfter: Self.yesterday
            )
            #expect(
                try await Self.failure(serving: expired, trusting: trusted, in: directory)
                    == .tlsHandshakeFailed(.certificateNotTrusted)
            )
        }
    }

    @Test func aTrustedCertificateForAnotherHostIsAHostMismatch() async throws {
        try await TemporaryDirectory.with { directory in
            let authority = try TestCertificateAuthority.make(in: directory)
            let elsewhere = try authority.issue("elsewhere", hosts: ["mx.other.test"])
            #expect(
                try await Self.failure(serving: elsewhere, trusting: authority, in: directory)
                    == .tlsHandshakeFailed(.hostnameMismatch)
            )
        }
    }
}

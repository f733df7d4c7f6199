import Foundation
import MailTestSupport
import Testing

/// The TLS and `--user` options of the server commands: mistakes end the command at once with a line
/// that names the option and the fix, before anything is bound or written.
@Suite(.offThePool) struct TLSOptionTests {
    static let cases: [([String], [String: String], String)] = [
        (["--tls-min-version", "1.1"], [:], "TLS 1.0 and 1.1 are broken (RFC 8996)"),
        ([], ["CORREO_TLS_MIN_VERSION": "1.0"], "TLS 1.0 and 1.1 are broken (RFC 8996)"),
        (["--tls-min-version", "2"], [:], "--tls-min-version 2 is not a TLS version"),
        (["--tls-ciphers", "ECDHE-RSA-AES128-GCM-SHA256:RC4-SHA"], [:], "RC4-SHA is not a TLS 1.2 cipher suite"),
        ([], ["CORREO_TLS_CIPHERS": "HIGH:!aNULL"], "HIGH is not a TLS 1.2 cipher suite"),
        (["--tls-curves", "X25519,brainpool"], [:], "unknown group brainpool"),
        (["--group", "nogroup"], [:], "--group needs --user"),
        (["--user", "no-such-user-x"], [:], "--user no-such-user-x: no such user"),
    ]

    @Test(arguments: 0..<cases.count)
    func mistakesAreRefusedBeforeStarting(index: Int) throws {
        let (arguments, environment, message) = Self.cases[index]
        let storage = try TemporaryDirectory(prefix: "correo-tls-options")
        defer { storage.remove() }
        let result = try CorreoBinary.run(
            [
                "serve", "-s", storage.path + "/mail", "--bind", "127.0.0.1", "--smtp-port", "0", "--submission-port",
                "0",
                "--smtps-port", "0", "--imap-port", "0", "--imaps-port", "0", "--nntp-port", "0", "--nntps-port", "0",
            ] + arguments,
            environment: environment
        )
        #expect(result.status != 0)
        #expect(result.standardError.contains(message), "\(result.standardError)")
        // Refused before anything was made: no storage folder, no certificate.
        #expect(!FileManager.default.fileExists(atPath: storage.path + "/mail"))
    }
}

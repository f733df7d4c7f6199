import Foundation

/// A self-signed certificate and key for `localhost`/127.0.0.1, made with the openssl command-line tool so
/// that tests of the TLS listeners do not depend on correo's own certificate code.
public struct TestTLS: Sendable {
    /// PEM certificate file.
    public let certificatePath: String
    /// PEM private key file (unencrypted).
    public let privateKeyPath: String

    /// Errors in making the certificate.
    public enum Failure: Error, CustomStringConvertible {
        case opensslFailed(status: Int32)

        /// What went wrong, for the test's failure message.
        public var description: String {
            switch self {
            case .opensslFailed(let status): "openssl req exited with status \(status)"
            }
        }
    }

    /// Writes `cert.pem` and `key.pem` into `directory`.
    public static func make(in directory: TemporaryDirectory, commonName: String = "localhost") throws -> TestTLS {
        let cert = directory.url.appendingPathComponent("cert.pem").path
        let key = directory.url.appendingPathComponent("key.pem").path
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=\(commonName)",
            "-addext", "subjectAltName=DNS:\(commonName),DNS:localhost,IP:127.0.0.1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitForExit()
        guard process.terminationStatus == 0 else { throw Failure.opensslFailed(status: process.terminationStatus) }
        return TestTLS(certificatePath: cert, privateKeyPath: key)
    }
}

import Foundation

/// The certificate `serve` uses when none is given: made once into STORAGE/tls/ and reused after, so
/// that a client which accepted it once keeps trusting it across restarts.
public enum DefaultCertificate {
    /// Paths of STORAGE/tls/cert.pem and key.pem, generating them for `hosts` if either is missing.
    ///
    /// Returns whether they were generated now, so the caller can log that once.
    public static func ensure(
        storage: URL,
        hosts: [String]
    ) throws -> (certificate: String, privateKey: String, generated: Bool) {
        let directory = storage.appendingPathComponent("tls", isDirectory: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let manager = FileManager.default
        if manager.fileExists(atPath: certificate) && manager.fileExists(atPath: key) {
            return (certificate, key, false)
        }
        var names = hosts
        for extra in ["localhost", "127.0.0.1", "::1"] where !names.contains(extra) { names.append(extra) }
        let written = try SelfSignedCertificate.generate(hosts: names).write(to: directory)
        return (written.certificate.path, written.privateKey.path, true)
    }
}

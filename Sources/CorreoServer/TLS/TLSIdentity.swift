import Foundation
import NIOSSL

/// The server's certificate chain and private key, read from PEM files and checked before any listener
/// starts, so that a bad file is reported by name at start-up and not as a failed handshake later.
public struct TLSIdentity: Sendable {
    /// The certificate chain, leaf first.
    public let certificateChain: [NIOSSLCertificate]
    /// The private key matching the leaf.
    public let privateKey: NIOSSLPrivateKey

    /// Loads a chain and key.
    ///
    /// With no `keyPath`, the key is looked for in the certificate file itself, the one-file `server.pem` layout of the
    /// original tool.
    public static func load(certificatePath: String, keyPath: String?) throws -> TLSIdentity {
        let certificateBytes = try readPEM(certificatePath)
        guard contains(certificateBytes, "-----BEGIN CERTIFICATE-----") else {
            throw CertificateError.noCertificate(certificatePath)
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            throw CertificateError.invalid(certificatePath, reason: "\(error)")
        }
        let keyFile = keyPath ?? certificatePath
        let keyBytes = keyPath.map { try? readPEM($0) } ?? certificateBytes
        guard let keyBytes else { return try load(certificatePath: certificatePath, keyPath: keyFile, chain: chain) }
        return try identity(chain: chain, keyBytes: keyBytes, keyFile: keyFile)
    }

    /// A server-side TLS configuration under `settings` (by default TLS 1.2 and 1.3 only, forward-secret
    /// AEAD suites only for 1.2, no renegotiation: see `TLSSettings`).
    ///
    /// Call `settings.validate()` first.
    public func serverConfiguration(settings: TLSSettings = .defaults) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) },
            privateKey: .privateKey(privateKey)
        )
        settings.apply(to: &configuration)
        return configuration
    }

    private static func load(certificatePath: String, keyPath: String, chain: [NIOSSLCertificate]) throws -> TLSIdentity
    {
        // Reading failed above with the error swallowed by `try?`; read again to report why.
        let keyBytes = try readPEM(keyPath)
        return try identity(chain: chain, keyBytes: keyBytes, keyFile: keyPath)
    }

    private static func identity(chain: [NIOSSLCertificate], keyBytes: [UInt8], keyFile: String) throws -> TLSIdentity {
        if contains(keyBytes, "ENCRYPTED PRIVATE KEY") || contains(keyBytes, "Proc-Type: 4,ENCRYPTED") {
            throw CertificateError.encryptedPrivateKey(keyFile)
        }
        guard contains(keyBytes, "PRIVATE KEY-----") else { throw CertificateError.noPrivateKey(keyFile) }
        do {
            let key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
            return TLSIdentity(certificateChain: chain, privateKey: key)
        } catch {
            throw CertificateError.invalid(keyFile, reason: "\(error)")
        }
    }

    private static func readPEM(_ path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw CertificateError.missingFile(path) }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw CertificateError.unreadable(path, reason: (error as NSError).localizedDescription)
        }
    }

    private static func contains(_ bytes: [UInt8], _ marker: String) -> Bool {
        let needle = Array(marker.utf8)
        guard bytes.count >= needle.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
            if bytes[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

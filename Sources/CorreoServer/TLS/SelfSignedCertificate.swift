import Crypto
import Foundation
import SwiftASN1
import X509

/// A self-signed certificate and its private key, both PEM: what the original needed six openssl commands
/// for.
///
/// Clients that are told to trust it (Thunderbird's exception dialog, `--cafile`, `curl --cacert`) can then use every
/// TLS listener.
public struct SelfSignedCertificate: Sendable {
    /// The certificate, PEM (`-----BEGIN CERTIFICATE-----`).
    public let certificatePEM: String
    /// The private key, PEM (PKCS#8, unencrypted).
    public let privateKeyPEM: String

    /// How long a generated certificate is valid.
    ///
    /// Two years: long enough for a lab, short enough that clients which cap validity (825 days) still accept it.
    public static let validity: TimeInterval = 730 * 24 * 3600

    /// Makes a P-256 key and a certificate naming every host in subjectAltName (DNS names, or IP
    /// addresses for literal IPv4/IPv6 hosts), the first one also the subject's common name.
    public static func generate(hosts: [String], now: Date = Date()) throws -> SelfSignedCertificate {
        guard let first = hosts.first else { throw CertificateError.noHostNames }
        let key = P256.Signing.PrivateKey()
        let certificateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName {
            OrganizationName("correo")
            CommonName(first)
        }
        let alternativeNames = SubjectAlternativeNames(hosts.map(generalName(for:)))
        // No KeyUsage extension: a self-signed certificate that clients trust directly (--cafile, curl
        // --cacert) must verify its own signature, and BoringSSL and others refuse a certificate whose
        // KeyUsage lacks keyCertSign as its own issuer. Not a CA either: Firefox and Thunderbird reject
        // a CA certificate used as a server's.
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            try ExtendedKeyUsage([.serverAuth])
            alternativeNames
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: certificateKey.publicKey,
            // Backdated a little so that a client whose clock runs behind accepts it at once.
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(validity),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: certificateKey
        )
        let certificatePEM = try certificate.serializeAsPEM().pemString
        return SelfSignedCertificate(certificatePEM: certificatePEM + "\n", privateKeyPEM: key.pemRepresentation + "\n")
    }

    /// Writes `cert.pem` (mode 0644) and `key.pem` (mode 0600) into `directory`, creating it (mode 0700).
    public func write(to directory: URL) throws -> (certificate: URL, privateKey: URL) {
        let manager = FileManager.default
        try manager.createDirectory(
            at: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let certificateURL = directory.appendingPathComponent("cert.pem")
        let keyURL = directory.appendingPathComponent("key.pem")
        // The key is created with its final mode rather than chmod-ed afterwards, so it is never readable by others.
        guard
            manager.createFile(
                atPath: keyURL.path,
                contents: Data(privateKeyPEM.utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else { throw CertificateError.cannotWrite(keyURL.path) }
        guard
            manager.createFile(
                atPath: certificateURL.path,
                contents: Data(certificatePEM.utf8),
                attributes: [.posixPermissions: 0o644]
            )
        else { throw CertificateError.cannotWrite(certificateURL.path) }
        return (certificateURL, keyURL)
    }

    private static func generalName(for host: String) -> GeneralName {
        if let bytes = ipAddressBytes(host) { return .ipAddress(ASN1OctetString(contentBytes: bytes[...])) }
        return .dnsName(host)
    }

    /// The 4 or 16 network-order bytes of a literal IPv4 or IPv6 address, or nil for a DNS name.
    private static func ipAddressBytes(_ host: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate authority made for one test, and the server certificates it signs: valid, expired, or for
/// another host, as the test needs (openssl 3.0 cannot date a certificate in the past).
public struct TestCertificateAuthority: Sendable {
    /// The authority's certificate, PEM: what a client is told to trust.
    public let certificatePath: String
    private let key: P256.Signing.PrivateKey
    private let name: DistinguishedName
    private let directory: URL

    /// Makes the authority's key and certificate (valid from an hour ago for a day), written as
    /// `NAME-ca.pem` into `directory`.
    public static func make(in directory: TemporaryDirectory, name: String = "test") throws -> TestCertificateAuthority
    {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName("correo test authority \(name)") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        let path = directory.url.appendingPathComponent("\(name)-ca.pem").path
        try Data((try certificate.serializeAsPEM().pemString + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return TestCertificateAuthority(certificatePath: path, key: key, name: subject, directory: directory.url)
    }

    /// A server certificate for `hosts` (DNS names, or IPv4 addresses) valid from `notValidBefore` to
    /// `notValidAfter`, and its key, written as `FILE.pem` and `FILE-key.pem`.
    public func issue(
        _ file: String,
        hosts: [String],
        notValidBefore: Date = Date().addingTimeInterval(-3600),
        notValidAfter: Date = Date().addingTimeInterval(86_400)
    ) throws -> TestTLS {
        let serverKey = P256.Signing.PrivateKey()
        let names = hosts.map { host -> GeneralName in
            let octets = host.split(separator: ".").compactMap { UInt8($0) }
            return octets.count == 4 ? .ipAddress(ASN1OctetString(contentBytes: ArraySlice(octets))) : .dnsName(host)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(serverKey.publicKey),
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            issuer: name,
            subject: try DistinguishedName { CommonName(hosts.first ?? "localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        let certificatePath = directory.appendingPathComponent("\(file).pem").path
        let keyPath = directory.appendingPathComponent("\(file)-key.pem").path
        try Data((try certificate.serializeAsPEM().pemString + "\n").utf8).write(
            to: URL(fileURLWithPath: certificatePath)
        )
        try Data((serverKey.pemRepresentation + "\n").utf8).write(to: URL(fileURLWithPath: keyPath))
        return TestTLS(certificatePath: certificatePath, privateKeyPath: keyPath)
    }
}

import Foundation
import NIOSSL

/// The TLS policy every listener shares: which protocol versions, TLS 1.2 cipher suites and key
/// exchange groups are offered.
///
/// The defaults follow Mozilla's "intermediate" profile: TLS 1.2 and 1.3 only, forward-secret AEAD suites only.
///
/// What is not configurable, because BoringSSL (under swift-nio-ssl) does not offer it at all:
/// TLS 1.0/1.1 below `minimumVersion`, SSLv2/3, TLS compression (removed from BoringSSL, so no
/// CRIME), server-side renegotiation (a BoringSSL server refuses every renegotiation; RFC 5746's
/// renegotiation_info is still sent), export and NULL suites, and the choice of TLS 1.3 suites
/// (always AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305, all AEAD with ephemeral key exchange).
public struct TLSSettings: Sendable, Equatable {
    /// The lowest protocol version a client may use; TLS 1.3 is always the highest.
    public var minimumVersion: Version
    /// TLS 1.2 cipher suites in preference order, OpenSSL names separated by ":".
    public var tls12CipherSuites: String
    /// Key exchange groups in preference order; nil keeps swift-nio-ssl's default (X25519MLKEM768,
    /// X25519, P-256, P-384).
    public var curves: [Curve]?

    /// The protocol versions that can be the minimum; older ones are never offered.
    public enum Version: String, Sendable, Equatable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    /// A key exchange group, by the name `openssl s_client -groups` uses.
    public enum Curve: String, Sendable, Equatable, CaseIterable {
        case x25519MLKEM768 = "X25519MLKEM768"
        case x25519 = "X25519"
        case p256 = "P-256"
        case p384 = "P-384"
        case p521 = "P-521"

        var niossl: NIOTLSCurve {
            switch self {
            case .x25519MLKEM768: .x25519_MLKEM768
            case .x25519: .x25519
            case .p256: .secp256r1
            case .p384: .secp384r1
            case .p521: .secp521r1
            }
        }
    }

    /// ECDHE key exchange with AES-GCM or ChaCha20-Poly1305: forward secrecy, no CBC, no RSA key
    /// exchange.
    ///
    /// ECDSA first because the generated certificate is P-256.
    public static let defaultTLS12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// The TLS 1.2 suites BoringSSL implements, by OpenSSL name: the only names accepted, because
    /// swift-nio-ssl stops the process (a precondition) on a list BoringSSL cannot use.
    public static let knownTLS12CipherSuites: Set<String> = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
        "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA",
    ]

    /// The defaults described above.
    public static let defaults = TLSSettings()

    /// Settings with the given values; each defaults to the policy above.
    public init(
        minimumVersion: Version = .tls12,
        tls12CipherSuites: String = TLSSettings.defaultTLS12CipherSuites,
        curves: [Curve]? = nil
    ) {
        self.minimumVersion = minimumVersion
        self.tls12CipherSuites = tls12CipherSuites
        self.curves = curves
    }

    /// Reads a minimum version as given on the command line: "1.2", "1.3" (a "TLS" or "tlsv" prefix
    /// is fine); 1.0 and 1.1 are refused with the reason.
    public static func version(parsing text: String) throws -> Version {
        var value = text.lowercased()
        for prefix in ["tlsv", "tls"] where value.hasPrefix(prefix) { value.removeFirst(prefix.count) }
        if let version = Version(rawValue: value) { return version }
        if ["1", "1.0", "1.1"].contains(value) { throw TLSSettingsError.obsoleteVersion(text) }
        throw TLSSettingsError.unknownVersion(text)
    }

    /// Reads a comma- or colon-separated list of group names, such as "X25519,P-256".
    public static func curves(parsing text: String) throws -> [Curve] {
        let names = text.split(whereSeparator: { $0 == "," || $0 == ":" }).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !names.isEmpty else { throw TLSSettingsError.noCurves }
        return try names.map { name in
            guard let curve = Curve.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
                throw TLSSettingsError.unknownCurve(name)
            }
            return curve
        }
    }

    /// Checks the cipher list name by name before BoringSSL sees it.
    public func validate() throws {
        let names = tls12CipherSuites.split(separator: ":").map { String($0) }
        guard !names.isEmpty else { throw TLSSettingsError.noCipherSuites }
        for name in names where !Self.knownTLS12CipherSuites.contains(name) {
            throw TLSSettingsError.unknownCipherSuite(name)
        }
        if curves?.isEmpty == true { throw TLSSettingsError.noCurves }
    }

    /// Applies the settings to a server configuration.
    public func apply(to configuration: inout TLSConfiguration) {
        configuration.minimumTLSVersion = minimumVersion == .tls13 ? .tlsv13 : .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuites = tls12CipherSuites
        configuration.curves = curves?.map(\.niossl)
        configuration.renegotiationSupport = .none
    }
}

/// TLS settings that cannot be used, worded so that the operator knows which flag to change.
public enum TLSSettingsError: Error, Equatable, CustomStringConvertible {
    case obsoleteVersion(String)
    case unknownVersion(String)
    case noCipherSuites
    case unknownCipherSuite(String)
    case noCurves
    case unknownCurve(String)

    /// The sentence the command line prints.
    public var description: String {
        switch self {
        case .obsoleteVersion(let text):
            "--tls-min-version \(text): TLS 1.0 and 1.1 are broken (RFC 8996) and never offered; use 1.2 or 1.3"
        case .unknownVersion(let text): "--tls-min-version \(text) is not a TLS version: use 1.2 or 1.3"
        case .noCipherSuites: "--tls-ciphers is empty: give at least one TLS 1.2 cipher suite"
        case .unknownCipherSuite(let name):
            "--tls-ciphers: \(name) is not a TLS 1.2 cipher suite this server has; choose from "
                + TLSSettings.knownTLS12CipherSuites.sorted().joined(separator: ", ")
        case .noCurves: "--tls-curves is empty: give at least one group"
        case .unknownCurve(let name):
            "--tls-curves: unknown group \(name); choose from "
                + TLSSettings.Curve.allCases.map(\.rawValue).joined(separator: ", ")
        }
    }
}

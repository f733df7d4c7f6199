/// What can go wrong with certificates and keys, worded so that the operator knows which file to fix.
public enum CertificateError: Error, Equatable, CustomStringConvertible {
    case noHostNames
    case cannotWrite(String)
    case missingFile(String)
    case unreadable(String, reason: String)
    case noCertificate(String)
    case noPrivateKey(String)
    case encryptedPrivateKey(String)
    case invalid(String, reason: String)

    /// The problem and the file, as one line for the operator.
    public var description: String {
        switch self {
        case .noHostNames: "a certificate needs at least one host name (--host)"
        case .cannotWrite(let path): "cannot write \(path): check that its folder exists and is writable"
        case .missingFile(let path): "\(path) does not exist"
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .noCertificate(let path): "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        case .noPrivateKey(let path): "\(path) holds no PEM private key; give one with --key"
        case .encryptedPrivateKey(let path):
            "\(path) holds an encrypted private key; decrypt it first (openssl pkey -in \(path) -out key.pem)"
        case .invalid(let path, let reason): "\(path) is not a usable certificate or key: \(reason)"
        }
    }
}

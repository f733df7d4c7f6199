import Foundation
import MailCore
import Synchronization

/// The DKIM signing keys in STORAGE/dkim/, picked up and dropped without a restart.
///
/// One folder per domain, one PEM file per selector (`dkim/example.org/correo-rsa.pem`). The folder is looked at again
/// when it may have changed (at most once per `rescanInterval`), so keys made by `correo dkim keygen` or removed by
/// hand are used or dropped without a restart.
public final class DKIMKeyring: Sendable {
    /// The folder holding one folder per domain.
    public let folder: URL
    let rescanInterval: TimeInterval
    private let state = Mutex(State())

    struct State {
        var lastScan: Date = .distantPast
        /// Each key file's path with its modification date and size, to see whether anything changed.
        var fingerprint: [String: String] = [:]
        var signers: [String: [DKIMSigner]] = [:]
    }

    /// Makes a keyring over `folder`, looked at again at most once per `rescanInterval` seconds.
    public init(folder: URL, rescanInterval: TimeInterval = 2) {
        self.folder = folder
        self.rescanInterval = rescanInterval
    }

    /// Where a key for `domain` and `selector` is kept.
    public func keyFile(domain: String, selector: String) -> URL {
        folder.appendingPathComponent(domain.lowercased(), isDirectory: true).appendingPathComponent("\(selector).pem")
    }

    /// The signers for `domain` (lower-cased, no trailing dot), Ed25519 keys first; empty when it has none.
    public func signers(for domain: String) -> [DKIMSigner] {
        state.withLock { state in
            let now = Date()
            if now.timeIntervalSince(state.lastScan) >= rescanInterval {
                state.lastScan = now
                let fingerprint = Self.fingerprint(folder)
                if fingerprint != state.fingerprint {
                    state.fingerprint = fingerprint
                    state.signers = Self.load(folder)
                }
            }
            return state.signers[domain.lowercased()] ?? []
        }
    }

    /// Reads the folder now, whatever `rescanInterval` says (what SIGHUP does), and returns the usable keys as
    /// `domain/selector`.
    public func rescan() -> [String] {
        state.withLock { state in
            state.lastScan = Date()
            state.fingerprint = Self.fingerprint(folder)
            state.signers = Self.load(folder)
            return state.signers.values.flatMap { $0 }.map { "\($0.domain)/\($0.selector)" }.sorted()
        }
    }

    /// Signs `message` with every key of its From domain.
    ///
    /// A DKIM-Signature goes on top for each key; the message comes back unchanged when the domain has
    /// no key or the message no single From address. `now`: seconds since 1970.
    public func sign(_ message: [UInt8], now: Int) -> [UInt8] {
        guard let domain = DMARCEvaluator.fromDomain(of: MessageFields(message)) else { return message }
        let signers = signers(for: domain)
        guard !signers.isEmpty else { return message }
        // Each signature covers the message as it was, not the other signatures: either verifies alone.
        let fields = signers.compactMap { try? $0.signatureField(for: message, now: now) }
        return fields.flatMap { $0 } + message
    }

    private static func keyFiles(_ folder: URL) -> [(domain: String, selector: String, url: URL)] {
        let manager = FileManager.default
        guard let domains = try? manager.contentsOfDirectory(atPath: folder.path) else { return [] }
        var files: [(String, String, URL)] = []
        for domain in domains.sorted() where !domain.hasPrefix(".") {
            let domainFolder = folder.appendingPathComponent(domain, isDirectory: true)
            guard let names = try? manager.contentsOfDirectory(atPath: domainFolder.path) else { continue }
            for name in names.sorted() where name.hasSuffix(".pem") && !name.hasPrefix(".") {
                files.append((domain.lowercased(), String(name.dropLast(4)), domainFolder.appendingPathComponent(name)))
            }
        }
        return files
    }

    private static func fingerprint(_ folder: URL) -> [String: String] {
        var fingerprint: [String: String] = [:]
        for file in keyFiles(folder) {
            let attributes = try? FileManager.default.attributesOfItem(atPath: file.url.path)
            let date = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
            fingerprint[file.url.path] = "\(date) \(size)"
        }
        return fingerprint
    }

    private static func load(_ folder: URL) -> [String: [DKIMSigner]] {
        var signers: [String: [DKIMSigner]] = [:]
        for file in keyFiles(folder) {
            guard let pem = try? String(contentsOf: file.url, encoding: .utf8), let key = DKIMPrivateKey(pem: pem)
            else { continue }
            signers[file.domain, default: []].append(DKIMSigner(domain: file.domain, selector: file.selector, key: key))
        }
        for domain in signers.keys {
            signers[domain]?.sort { lhs, rhs in
                (lhs.key.algorithm == .ed25519SHA256 ? 0 : 1, lhs.selector)
                    < (rhs.key.algorithm == .ed25519SHA256 ? 0 : 1, rhs.selector)
            }
        }
        return signers
    }

    /// Makes a key for `domain` under `selector`, writes it (mode 0600), and returns it.
    ///
    /// An existing file is never overwritten: a key in use must be replaced under a new selector (RFC 6376 §3.1).
    public func generate(domain: String, selector: String, algorithm: DKIMAlgorithm) throws -> DKIMPrivateKey {
        let file = keyFile(domain: domain, selector: selector)
        guard !FileManager.default.fileExists(atPath: file.path) else { throw DKIMKeyringError.exists(file.path) }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let key = try DKIMPrivateKey.generate(algorithm)
        guard
            FileManager.default.createFile(
                atPath: file.path,
                contents: Data(key.pem.utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else {
            throw DKIMKeyringError.unwritable(file.path)
        }
        state.withLock { $0.lastScan = .distantPast }
        return key
    }
}

/// Why a key could not be made.
public enum DKIMKeyringError: Error, CustomStringConvertible {
    case exists(String)
    case unwritable(String)

    /// The reason in words, for the operator.
    public var description: String {
        switch self {
        case .exists(let path): "\(path) exists already; choose another selector"
        case .unwritable(let path): "cannot write \(path)"
        }
    }
}

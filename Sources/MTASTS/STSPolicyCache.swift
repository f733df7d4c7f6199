import Foundation

/// The policies fetched, one JSON file per policy domain under a folder (STORAGE/mta-sts/), so that they
/// survive restarts: RFC 8461 §5.1 protects against a downgrade only if a known policy outlives the
/// process.
public struct STSPolicyCache: Sendable {
    /// One cached policy.
    public struct Entry: Sendable, Hashable, Codable {
        /// The `id` of the TXT record when the policy was fetched.
        public var id: String
        /// The policy.
        public var policy: STSPolicy
        /// When it was fetched (its `max_age` counts from here).
        public var fetched: Date

        /// Makes an entry.
        public init(id: String, policy: STSPolicy, fetched: Date) {
            self.id = id
            self.policy = policy
            self.fetched = fetched
        }

        /// When the policy may no longer be used.
        public var expires: Date { fetched.addingTimeInterval(TimeInterval(policy.maxAge)) }

        /// Whether it may still be used at `now`.
        public func isValid(at now: Date) -> Bool { now < expires }
    }

    /// The folder of the cache files.
    public let folder: URL

    /// A cache in `folder` (made when the first policy is stored).
    public init(folder: URL) { self.folder = folder }

    /// The cached entry of `domain`, expired or not; nil when none or unreadable.
    public func entry(for domain: String) -> Entry? {
        guard let url = file(domain), let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder.policyCache.decode(Entry.self, from: data)
    }

    /// Stores (or replaces) the entry of `domain`, atomically.
    public func store(_ entry: Entry, for domain: String) throws {
        guard let url = file(domain) else { return }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONEncoder.policyCache.encode(entry).write(to: url, options: .atomic)
    }

    /// Removes the entry of `domain`.
    public func remove(_ domain: String) {
        guard let url = file(domain) else { return }
        try? FileManager.default.removeItem(at: url)
    }

    /// The file of a domain; nil for a name that could climb out of the folder.
    func file(_ domain: String) -> URL? {
        let name = STSPolicy.normalized(domain)
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), name.utf8.count <= 253 else { return nil }
        return folder.appendingPathComponent(name + ".json")
    }
}

extension JSONEncoder {
    static var policyCache: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    static var policyCache: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }
}

import Foundation

extension DerivedCache {
    /// Where an entry loaded from the file lies in it: its base, and its values from the first value's
    /// `kind SP length` line through its last byte.
    struct StoredEntry {
        var base: Range<Int>
        var physicalSize: Int
        var valueCount: Int
        var values: Range<Int>
        var bytes: Int
    }

    /// The file's entries by base, found by a 64-bit hash of the base's bytes and checked against the
    /// bytes of the base in the file.
    ///
    /// Keyed by the bases themselves, loading a restarted server's cache made a `String` per message
    /// (20,000 for the bench's mailbox) and every lookup hashed and compared one; the bases stay in
    /// the file, and a lookup hashes the bytes it is given once. A base whose hash another base has
    /// (never seen, but a file name is anyone's to choose) is kept by name in `colliding`.
    struct StoredIndex {
        private var byHash: [UInt64: StoredEntry] = [:]
        /// Entries whose base's hash an entry in `byHash` has, by base.
        private var colliding: [String: StoredEntry] = [:]
        /// Bits of the hash kept (tests keep none, so that every base collides).
        private let hashMask: UInt64

        init(capacity: Int = 0, hashMask: UInt64 = .max) {
            byHash.reserveCapacity(capacity)
            self.hashMask = hashMask
        }

        var count: Int { byHash.count + colliding.count }
        var isEmpty: Bool { count == 0 }
        var entries: [StoredEntry] { Array(byHash.values) + Array(colliding.values) }

        /// The entry for `base`.
        func entry(base: String, in file: UnsafeBufferPointer<UInt8>) -> StoredEntry? {
            Self.withBytes(base) { bytes in
                if let entry = byHash[hash(bytes)], Self.equal(file, entry.base, bytes) { return entry }
                return colliding.isEmpty ? nil : colliding[base]
            }
        }

        /// Adds an entry of the file; one for the same base replaces it (the file's last one wins).
        mutating func insert(_ entry: StoredEntry, in file: UnsafeBufferPointer<UInt8>) {
            let bytes = UnsafeBufferPointer(rebasing: file[entry.base])
            let key = hash(bytes)
            guard let held = byHash[key], !Self.equal(file, held.base, bytes) else {
                byHash[key] = entry
                return
            }
            colliding[String(decoding: bytes, as: UTF8.self)] = entry
        }

        /// Removes and returns the entry for `base`.
        mutating func remove(base: String, in file: UnsafeBufferPointer<UInt8>) -> StoredEntry? {
            let key: UInt64? = Self.withBytes(base) { bytes in
                let key = hash(bytes)
                return byHash[key].map { Self.equal(file, $0.base, bytes) } == true ? key : nil
            }
            if let key { return byHash.removeValue(forKey: key) }
            return colliding.isEmpty ? nil : colliding.removeValue(forKey: base)
        }

        /// Removes the entries `remove` says go.
        mutating func removeAll(where remove: (StoredEntry) -> Bool) {
            byHash = byHash.filter { !remove($0.value) }
            colliding = colliding.filter { !remove($0.value) }
        }

        /// FNV-1a: bases are short (~40 bytes), and this hashes them faster than `Hasher` does.
        private func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            return hash & hashMask
        }

        private static func equal(
            _ file: UnsafeBufferPointer<UInt8>,
            _ range: Range<Int>,
            _ bytes: UnsafeBufferPointer<UInt8>
        ) -> Bool {
            guard range.count == bytes.count else { return false }
            guard let stored = file.baseAddress, let other = bytes.baseAddress else { return bytes.isEmpty }
            return memcmp(stored + range.lowerBound, other, bytes.count) == 0
        }

        private static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
            return Array(text.utf8).withUnsafeBufferPointer(body)
        }
    }
}

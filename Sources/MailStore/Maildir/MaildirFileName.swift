import Foundation
import Synchronization

/// A Maildir file name: `BASE[:2,INFO]`.
///
/// The base is the message's identity (the uidlist key); the info holds flag letters, uppercase for system flags,
/// lowercase for keywords (Dovecot's way).
struct MaildirFileName: Hashable, Sendable {
    /// Everything before the first ':' (Maildir's "unique name" plus `,S=`/`,W=` fields).
    var base: String
    /// The letters after `:2,`, sorted; empty when there is no info.
    var infoLetters: [UInt8]

    /// Splits on the UTF-8 bytes: every file of a folder goes through here when it is first opened,
    /// and `Character` searches cost several times more than the split itself.
    init(_ fileName: String) {
        let utf8 = fileName.utf8
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")) else {
            base = fileName
            infoLetters = []
            return
        }
        base = String(fileName[..<colon])
        let info = utf8[utf8.index(after: colon)...]
        if info.starts(with: [UInt8(ascii: "2"), UInt8(ascii: ",")]) {
            infoLetters = Array(info.dropFirst(2))
        } else {
            infoLetters = []
        }
    }

    /// Just the base of `fileName`, cheaply (directory scans call this for every file).
    static func base(of fileName: String) -> String {
        guard let colon = fileName.utf8.firstIndex(of: UInt8(ascii: ":")) else { return fileName }
        return String(fileName[..<colon])
    }

    /// Whether `base` is `fileName`'s base (`base(of:)`), without making the base's string.
    ///
    /// A restarted server's first look pairs every cached entry with its uidlist line through here:
    /// compared a byte at a time through the strings' iterators it was 4.7 % of that SELECT's samples,
    /// so the bytes are compared where they lie.
    static func hasBase(_ base: String, _ fileName: String) -> Bool {
        var (base, fileName) = (base, fileName)
        return base.withUTF8 { base in
            fileName.withUTF8 { name in
                guard name.count >= base.count else { return false }
                if let start = base.baseAddress, let nameStart = name.baseAddress, base.count > 0 {
                    guard memchr(start, Int32(colon), base.count) == nil, memcmp(start, nameStart, base.count) == 0
                    else { return false }
                }
                return name.count == base.count || name[base.count] == colon
            }
        }
    }

    private static let colon = UInt8(ascii: ":")

    init(base: String, infoLetters: [UInt8]) {
        self.base = base
        self.infoLetters = infoLetters
    }

    /// The name with `:2,` and the sorted, de-duplicated letters (the Maildir rule: ASCII order).
    var fileName: String {
        let letters = Array(Set(infoLetters)).sorted()
        return base + ":2," + String(decoding: letters, as: UTF8.self)
    }

    /// The system flags in the info.
    var flags: MessageFlags {
        infoLetters.reduce(into: []) { flags, letter in flags.formUnion(Self.systemFlag(letter)) }
    }

    /// The system flag a Maildir info letter stands for (none for other letters).
    private static func systemFlag(_ letter: UInt8) -> MessageFlags {
        switch letter {
        case UInt8(ascii: "D"): .draft
        case UInt8(ascii: "F"): .flagged
        case UInt8(ascii: "R"): .answered
        case UInt8(ascii: "S"): .seen
        case UInt8(ascii: "T"): .deleted
        default: []
        }
    }

    /// The system flags and keyword indexes of `fileName`'s info, as `flags` and `keywordIndexes` give
    /// them, read in place: opening a folder from its cache does this for every message, and a parsed
    /// name costs two allocations (its base and its letters).
    static func flagsAndKeywords(of fileName: String) -> (flags: MessageFlags, keywordIndexes: [Int]) {
        withBytes(of: fileName) { bytes in
            var flags: MessageFlags = []
            var keywordIndexes: [Int] = []
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
                bytes[(colon + 1)...].starts(with: [UInt8(ascii: "2"), UInt8(ascii: ",")])
            else { return (flags, keywordIndexes) }
            for letter in bytes[(colon + 3)...] {
                if letter >= UInt8(ascii: "a"), letter <= UInt8(ascii: "z") {
                    keywordIndexes.append(Int(letter - UInt8(ascii: "a")))
                } else {
                    flags.formUnion(systemFlag(letter))
                }
            }
            return (flags, keywordIndexes)
        }
    }

    /// `body` over the UTF-8 bytes of `text`, in place where the string is stored contiguously (as
    /// every native string is): a folder's first scan reads every name this way, and a walk over
    /// `String.UTF8View` indexes cost several times more.
    static func withBytes<R>(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// Keyword letters `a`…`z`, as indexes 0…25 into the folder's keyword list.
    var keywordIndexes: [Int] {
        infoLetters.filter { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }.map { Int($0 - UInt8(ascii: "a")) }
    }

    /// Letters that are neither IMAP flags nor keywords (such as `P`, passed).
    ///
    /// They are kept through flag changes.
    var otherLetters: [UInt8] {
        let system = Set(MessageFlags.letters.map(\.letter))
        return infoLetters.filter { !system.contains($0) && !($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) }
    }

    /// `,S=<n>` from the base: the file's size in bytes, as Dovecot and Courier write it.
    var physicalSize: Int? { Self.sizeFields(ofBase: base).size }

    /// `,W=<n>` from the base: the size with CRLF line ends (RFC822.SIZE), as Dovecot writes it.
    var virtualSize: Int? { Self.sizeFields(ofBase: base).crlfSize }

    /// The delivery time in seconds from the base's leading digits, if it starts with them.
    var deliverySeconds: Int? { Self.leadingSeconds(of: base) }

    /// The seconds `base` begins with (at most 12 digits), read in place: a folder's first scan
    /// orders every new file by them.
    static func leadingSeconds(of base: String) -> Int? {
        let digits = base.utf8.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !digits.isEmpty, digits.count <= 12 else { return nil }
        return DecimalDigits.integer(digits)
    }

    /// `,S=` and `,W=` of `base`, both there: a folder's first scan reads every name this way, with no
    /// `MaildirFileName` made.
    static func sizes(ofBase base: String) -> (size: Int, crlfSize: Int)? {
        let fields = sizeFields(ofBase: base)
        guard let size = fields.size, let crlfSize = fields.crlfSize else { return nil }
        return (size, crlfSize)
    }

    /// The digits after the first `,S=` and the first `,W=` of `base`, in one pass over its bytes.
    ///
    /// Each is nil when absent, without digits, or beyond Int's range.
    private static func sizeFields(ofBase base: String) -> (size: Int?, crlfSize: Int?) {
        withBytes(of: base) { bytes in
            var size: Int??
            var crlfSize: Int??
            var index = 0
            while index + 2 < bytes.count, size == nil || crlfSize == nil {
                defer { index += 1 }
                guard bytes[index] == UInt8(ascii: ","), bytes[index + 2] == UInt8(ascii: "=") else { continue }
                let key = bytes[index + 1]
                guard key == UInt8(ascii: "S") || key == UInt8(ascii: "W") else { continue }
                var end = index + 3
                while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") { end += 1 }
                let value = DecimalDigits.integer(bytes[(index + 3)..<end])
                if key == UInt8(ascii: "S"), size == nil { size = .some(value) }
                if key == UInt8(ascii: "W"), crlfSize == nil { crlfSize = .some(value) }
            }
            return (size ?? nil, crlfSize ?? nil)
        }
    }

    /// Builds a fresh unique base: `SECONDS.M<usec>P<pid>Q<counter>.<host>,S=<size>,W=<crlfSize>`
    /// (the Maildir "modern" unique name, with Dovecot's size fields so listings need no stat).
    ///
    /// The microseconds are written with six digits: a folder's first scan orders the names of one
    /// second by name (`MaildirFolder.inDeliveryOrder`), and unpadded, `M100000` came before `M99999`,
    /// so two messages delivered a millisecond apart could get their UIDs the wrong way round.
    static func uniqueBase(date: Date = Date(), size: Int, crlfSize: Int) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let microseconds = max(0, min(Int((date.timeIntervalSince1970 - Double(seconds)) * 1_000_000), 999_999))
        let counter = deliveryCounter.withLock { value -> UInt64 in
            value += 1
            return value
        }
        // Built as octets: every message takes two of these names (its tmp/ file and its new/ one), and
        // through interpolation each cost 7,000 instructions (callgrind).
        var name: [UInt8] = []
        name.reserveCapacity(64 + hostNameOctets.count)
        name.appendDecimal(seconds)
        name.append(contentsOf: ".M".utf8)
        name.appendDecimal(microseconds, width: 6)
        name.append(UInt8(ascii: "P"))
        name.appendDecimal(Int(processID))
        name.append(UInt8(ascii: "Q"))
        name.appendDecimal(Int(counter))
        name.append(UInt8(ascii: "."))
        name.append(contentsOf: hostNameOctets)
        name.append(contentsOf: ",S=".utf8)
        name.appendDecimal(size)
        name.append(contentsOf: ",W=".utf8)
        name.appendDecimal(crlfSize)
        return String(decoding: name, as: UTF8.self)
    }

    private static let deliveryCounter = Mutex<UInt64>(0)
    private static let processID = getpid()

    /// The host name with '/' and ':' escaped as the Maildir specification asks.
    private static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        let name =
            gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return name.replacingOccurrences(of: "/", with: "\\057").replacingOccurrences(of: ":", with: "\\072")
            .replacingOccurrences(of: ",", with: "\\054")
    }()
    private static let hostNameOctets = Array(hostName.utf8)
}

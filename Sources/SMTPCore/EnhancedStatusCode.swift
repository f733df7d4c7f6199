/// An enhanced mail system status code, `class.subject.detail` (RFC 3463), sent in front of reply text
/// when the server advertises ENHANCEDSTATUSCODES (RFC 2034).
public struct EnhancedStatusCode: Hashable, Sendable, CustomStringConvertible {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    public var `class`: Int
    /// The subject: 0 other, 1 addressing, 2 mailbox, 3 mail system, 4 network, 5 protocol, 6 content,
    /// 7 security or policy.
    public var subject: Int
    /// The detail within the subject.
    public var detail: Int

    /// The code `class.subject.detail`, such as 5.1.1.
    public init(_ class: Int, _ subject: Int, _ detail: Int) {
        self.class = `class`
        self.subject = subject
        self.detail = detail
    }

    /// The code as written in a reply, such as `5.1.1`.
    public var description: String { "\(`class`).\(subject).\(detail)" }

    /// RFC 3463 2: `status-code = class "." subject "." detail`, `class = "2"/"4"/"5"`,
    /// `subject = "0"/"1"/"2"/"3"/"4"/"5"/"6"/"7"` (and 1*3digit in the registry), `detail = 1*3digit`.
    public init?<Bytes: Collection<UInt8>>(parsing bytes: Bytes) {
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            numbers.append(part.reduce(0) { $0 * 10 + Int($1 - 0x30) })
        }
        guard [2, 4, 5].contains(numbers[0]) else { return nil }
        self.init(numbers[0], numbers[1], numbers[2])
    }
}

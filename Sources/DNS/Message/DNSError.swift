/// Why a DNS message could not be read or written, or a name or server address not taken.
///
/// Malformed wire data always ends in one of these, never in a trap: every length is checked against
/// the buffer before it is used (RFC 1035 §4.1).
public enum DNSError: Error, Hashable, Sendable {
    /// The message ends inside a field that starts at `offset`.
    case truncatedMessage(offset: Int)
    /// A compression pointer at `offset` points at or after itself (RFC 1035 §4.1.4 pointers name an
    /// earlier occurrence; anything else could loop).
    case compressionPointerNotBackwards(offset: Int)
    /// A name needs more than `DNSDefaults.maxCompressionPointers` pointers.
    case tooManyCompressionPointers(offset: Int)
    /// A name is longer than 255 octets (RFC 1035 §2.3.4).
    case nameTooLong(offset: Int)
    /// A label is longer than 63 octets (RFC 1035 §2.3.4): a length octet of 64–191, whose top bits
    /// `01` and `10` are reserved (RFC 6891 §5 retired the extended label types).
    case labelTooLong(offset: Int)
    /// The data of a record of `type` at `offset` does not have the shape its type requires.
    case malformedRecordData(type: DNSType, offset: Int)
    /// A message to be written is longer than 65,535 octets (RFC 1035 §4.2.2).
    case messageTooLong(length: Int)
    /// A name given as text is not a domain name: an empty label, or a label or name over the limits.
    case invalidName(String)
    /// A nameserver given as `IP[:PORT]` or an address given for a PTR look-up is not one.
    case invalidAddress(String)
    /// The resolver configuration could not be read.
    case configurationUnreadable(path: String, reason: String)
}

extension DNSError: CustomStringConvertible {
    /// A sentence a user can act on.
    public var description: String {
        switch self {
        case .truncatedMessage(let offset): "DNS message truncated at offset \(offset)"
        case .compressionPointerNotBackwards(let offset):
            "DNS compression pointer at offset \(offset) does not point backwards"
        case .tooManyCompressionPointers(let offset): "DNS name at offset \(offset) has too many compression pointers"
        case .nameTooLong(let offset): "DNS name at offset \(offset) is longer than 255 octets"
        case .labelTooLong(let offset): "DNS label at offset \(offset) is longer than 63 octets"
        case .malformedRecordData(let type, let offset): "malformed \(type) record data at offset \(offset)"
        case .messageTooLong(let length): "DNS message of \(length) octets is longer than 65535"
        case .invalidName(let name): "not a valid domain name: \(name)"
        case .invalidAddress(let address): "not a valid IP address or IP:PORT: \(address)"
        case .configurationUnreadable(let path, let reason): "cannot read \(path): \(reason)"
        }
    }
}

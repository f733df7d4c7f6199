/// An RFC 5322 header: fields in their original order, repeated fields kept, looked up by name
/// case-insensitively.
public struct MessageHeader: Sendable, Hashable, RandomAccessCollection {
    /// The fields in order.
    public var fields: [HeaderField]

    /// Makes a header from fields.
    public init(fields: [HeaderField] = []) {
        self.fields = fields
    }

    /// The first position (0).
    public var startIndex: Int { fields.startIndex }
    /// One past the last position.
    public var endIndex: Int { fields.endIndex }
    /// The element at `position`, in order.
    public subscript(position: Int) -> HeaderField { fields[position] }

    /// The unfolded value of the first field called `name`, or nil.
    public subscript(name: String) -> String? {
        field(named: name)?.value
    }

    /// The first field called `name`.
    public func field(named name: String) -> HeaderField? {
        fields.first { $0.hasName(name) }
    }

    /// Every field called `name`, in order.
    public func fields(named name: String) -> [HeaderField] {
        fields.filter { $0.hasName(name) }
    }

    /// The unfolded values of every field called `name`, in order.
    public func values(named name: String) -> [String] {
        fields.compactMap { $0.hasName(name) ? $0.value : nil }
    }

    /// True when a field called `name` is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { $0.hasName(name) }
    }

    /// Adds a field at the end.
    public mutating func append(_ field: HeaderField) {
        fields.append(field)
    }

    /// Adds `name: value` at the end; `value` must already be encoded for the wire.
    public mutating func append(name: String, value: String) {
        fields.append(HeaderField(name: name, value: value))
    }

    /// Removes every field called `name`.
    public mutating func removeAll(named name: String) {
        fields.removeAll { $0.hasName(name) }
    }

    /// The fields as wire bytes with CRLF line ends, without the blank line that ends a header.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        for field in fields { bytes.append(contentsOf: field.encoded) }
        return bytes
    }
}

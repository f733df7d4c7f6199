/// RFC 2045 6.8 base64, with line breaks for MIME bodies and a decoder that skips what is not base64.
public enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Sextet value per byte, 0xFF for bytes outside the alphabet.
    static let sextets: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    /// Encodes `bytes`; with a line length, every line (the last too) ends in CRLF.
    ///
    /// A `lineLength` of 0 writes one unbroken line with no CRLF (for RFC 2047 encoded words).
    public static func encode(
        _ bytes: some Collection<UInt8>,
        lineLength: Int = MailCoreDefaults.base64LineLength
    ) -> [UInt8] {
        var encoder = Base64Encoder(lineLength: lineLength)
        var output = encoder.encode(bytes)
        output.append(contentsOf: encoder.finish())
        return output
    }

    /// Decodes base64, ignoring line breaks, whitespace and any other byte outside the alphabet;
    /// padding may be missing.
    ///
    /// Never fails: garbage yields the bytes that could be recovered.
    public static func decode(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var decoder = Base64Decoder()
        var output = decoder.decode(bytes)
        output.append(contentsOf: decoder.finish())
        return output
    }
}

/// Encodes base64 chunk by chunk, so large attachments can be streamed.
public struct Base64Encoder: Sendable {
    /// Characters per output line; 0 for no line breaks.
    public let lineLength: Int
    private var carry: (UInt8, UInt8) = (0, 0)
    private var carryCount = 0
    private var column = 0

    /// Makes an encoder writing lines of `lineLength` characters (a multiple of 4 is best; 76 by default).
    public init(lineLength: Int = MailCoreDefaults.base64LineLength) {
        self.lineLength = max(0, lineLength)
    }

    /// Encodes the next chunk; bytes that do not fill a 3-byte group wait for the next chunk.
    public mutating func encode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        // One dynamic call, then a concrete loop: callers in other modules get full speed too.
        if let output = chunk.withContiguousStorageIfAvailable({ encode(buffer: $0) }) { return output }
        return Array(chunk).withUnsafeBufferPointer { encode(buffer: $0) }
    }

    private mutating func encode(buffer chunk: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((chunk.count + 2) / 3 * 4 + (chunk.count / 38 + 1) * 2)
        for byte in chunk {
            switch carryCount {
            case 0:
                carry.0 = byte
                carryCount = 1
            case 1:
                carry.1 = byte
                carryCount = 2
            default:
                emitGroup(carry.0, carry.1, byte, count: 3, into: &output)
                carryCount = 0
            }
        }
        return output
    }

    /// Writes the last partial group with `=` padding and ends the last line.
    public mutating func finish() -> [UInt8] {
        var output: [UInt8] = []
        if carryCount > 0 {
            emitGroup(carry.0, carryCount == 2 ? carry.1 : 0, 0, count: carryCount, into: &output)
            carryCount = 0
        }
        if lineLength > 0, column > 0 {
            output.append(ASCII.cr)
            output.append(ASCII.lf)
            column = 0
        }
        return output
    }

    private mutating func emitGroup(_ a: UInt8, _ b: UInt8, _ c: UInt8, count: Int, into output: inout [UInt8]) {
        let alphabet = Base64.alphabet
        put(alphabet[Int(a >> 2)], into: &output)
        put(alphabet[Int((a & 0x03) << 4 | b >> 4)], into: &output)
        put(count > 1 ? alphabet[Int((b & 0x0F) << 2 | c >> 6)] : ASCII.equals, into: &output)
        put(count > 2 ? alphabet[Int(c & 0x3F)] : ASCII.equals, into: &output)
    }

    @inline(__always)
    private mutating func put(_ char: UInt8, into output: inout [UInt8]) {
        output.append(char)
        column += 1
        if lineLength > 0, column >= lineLength {
            output.append(ASCII.cr)
            output.append(ASCII.lf)
            column = 0
        }
    }
}

/// Decodes base64 chunk by chunk, tolerant of whitespace, garbage and missing padding.
public struct Base64Decoder: Sendable {
    private var quad: UInt32 = 0
    private var quadCount = 0

    /// Makes a decoder.
    public init() {}

    /// Decodes the next chunk; a partial group waits for the next chunk.
    public mutating func decode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        if let output = chunk.withContiguousStorageIfAvailable({ decode(buffer: $0) }) { return output }
        return Array(chunk).withUnsafeBufferPointer { decode(buffer: $0) }
    }

    private mutating func decode(buffer chunk: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(chunk.count / 4 * 3 + 3)
        let table = Base64.sextets
        for byte in chunk {
            if byte == ASCII.equals {
                flushPartial(into: &output)
                continue
            }
            let value = table[Int(byte)]
            if value == 0xFF { continue }
            quad = quad << 6 | UInt32(value)
            quadCount += 1
            if quadCount == 4 {
                output.append(UInt8(truncatingIfNeeded: quad >> 16))
                output.append(UInt8(truncatingIfNeeded: quad >> 8))
                output.append(UInt8(truncatingIfNeeded: quad))
                quad = 0
                quadCount = 0
            }
        }
        return output
    }

    /// Decodes what is left of an unpadded final group.
    public mutating func finish() -> [UInt8] {
        var output: [UInt8] = []
        flushPartial(into: &output)
        return output
    }

    private mutating func flushPartial(into output: inout [UInt8]) {
        switch quadCount {
        case 2:
            output.append(UInt8(truncatingIfNeeded: quad >> 4))
        case 3:
            output.append(UInt8(truncatingIfNeeded: quad >> 10))
            output.append(UInt8(truncatingIfNeeded: quad >> 2))
        default:
            break  // 0: nothing pending; 1: six bits cannot make a byte
        }
        quad = 0
        quadCount = 0
    }
}

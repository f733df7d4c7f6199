import NIOCore

/// Transparency for DATA (RFC 5321 §4.5.2) and line-end normalisation.
///
/// Interim: SMTPCore will hold the shared dot-stuffing; this one is the client's until it lands.
enum DotStuffing {
    /// The message as it goes on the wire after DATA: every line ends in CRLF (a bare LF or CR becomes CRLF,
    /// since SMTP carries lines, RFC 5321 §2.3.8), a line starting with "." gets one more ".", and the
    /// terminating `CRLF . CRLF` follows.
    static func encode(_ message: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(buffer.writerIndex + message.count + message.count / 64 + 5)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            switch byte {
            case UInt8(ascii: "\n"):
                if previous != UInt8(ascii: "\r") { buffer.writeInteger(UInt8(ascii: "\r")) }
                buffer.writeInteger(byte)
                atLineStart = true
            case UInt8(ascii: "\r"):
                if previous == UInt8(ascii: "\r") { buffer.writeInteger(UInt8(ascii: "\n")) }
                buffer.writeInteger(byte)
                atLineStart = false
            default:
                if previous == UInt8(ascii: "\r") {
                    buffer.writeInteger(UInt8(ascii: "\n"))
                    atLineStart = true
                }
                if atLineStart && byte == UInt8(ascii: ".") { buffer.writeInteger(UInt8(ascii: ".")) }
                buffer.writeInteger(byte)
                atLineStart = false
            }
            previous = byte
        }
        if previous == UInt8(ascii: "\r") {
            buffer.writeInteger(UInt8(ascii: "\n"))
        } else if !message.isEmpty && previous != UInt8(ascii: "\n") {
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString(".\r\n")
    }

    /// The wire form of `message` in a new buffer.
    static func encode(_ message: some Collection<UInt8>) -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(message, into: &buffer)
        return buffer
    }
}

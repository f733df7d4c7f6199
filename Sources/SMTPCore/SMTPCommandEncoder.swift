import NIOCore

extension SMTPCommand {
    /// Writes the command in its canonical form (RFC 5321 4.1), CRLF included: what a client sends.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .ehlo(let domain): buffer.writeString("EHLO \(domain)")
        case .helo(let domain): buffer.writeString("HELO \(domain)")
        case .mailFrom(let path, let parameters):
            buffer.writeString("MAIL FROM:\(path)")
            for parameter in parameters.encodedParameters { buffer.writeString(" " + parameter) }
        case .rcptTo(let path, let parameters):
            buffer.writeString("RCPT TO:\(path)")
            for parameter in parameters.encodedParameters { buffer.writeString(" " + parameter) }
        case .data: buffer.writeStaticString("DATA")
        case .bdat(let size, let last): buffer.writeString(last ? "BDAT \(size) LAST" : "BDAT \(size)")
        case .rset: buffer.writeStaticString("RSET")
        case .noop(let text): buffer.writeString(text.map { "NOOP \($0)" } ?? "NOOP")
        case .quit: buffer.writeStaticString("QUIT")
        case .vrfy(let text): buffer.writeString("VRFY \(text)")
        case .expn(let text): buffer.writeString("EXPN \(text)")
        case .help(let text): buffer.writeString(text.map { "HELP \($0)" } ?? "HELP")
        case .startTLS: buffer.writeStaticString("STARTTLS")
        case .auth(let mechanism, let initialResponse):
            buffer.writeString(initialResponse.map { "AUTH \(mechanism) \($0)" } ?? "AUTH \(mechanism)")
        }
        buffer.writeStaticString("\r\n")
    }

    /// The command as wire bytes.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }
}

extension SMTPMailParameters {
    /// `KEYWORD[=value]` for each parameter present, in a fixed order.
    public var encodedParameters: [String] {
        var result: [String] = []
        if let size { result.append("SIZE=\(size)") }
        if let body { result.append("BODY=\(body.rawValue)") }
        if smtpUTF8 { result.append("SMTPUTF8") }
        if let auth { result.append("AUTH=\(auth == "<>" ? auth : auth.xtextEncoded)") }
        if let ret { result.append("RET=\(ret.rawValue)") }
        if let envelopeID { result.append("ENVID=\(envelopeID.xtextEncoded)") }
        return result
    }
}

extension SMTPRecipientParameters {
    /// `KEYWORD=value` for each parameter present.
    public var encodedParameters: [String] {
        var result: [String] = []
        switch notify {
        case .never: result.append("NOTIFY=NEVER")
        case .on(let success, let failure, let delay):
            let words = [(success, "SUCCESS"), (failure, "FAILURE"), (delay, "DELAY")].filter(\.0).map(\.1)
            result.append("NOTIFY=" + words.joined(separator: ","))
        case nil: break
        }
        if let originalRecipient, let semicolon = originalRecipient.firstIndex(of: ";") {
            let type = originalRecipient[..<semicolon]
            let address = originalRecipient[originalRecipient.index(after: semicolon)...]
            result.append("ORCPT=\(type);\(String(address).xtextEncoded)")
        }
        return result
    }
}

extension String {
    /// RFC 3461 4: octets outside "!" through "~", and "+" and "=", become `+XX`.
    var xtextEncoded: String {
        var output = ""
        for byte in utf8 {
            if (33...126).contains(byte), byte != UInt8(ascii: "+"), byte != UInt8(ascii: "=") {
                output.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                output += "+" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return output
    }
}

extension DNSMessage {
    /// The message's octets (RFC 1035 §4.1), names written without compression.
    ///
    /// Section counts are those of the arrays. Throws when the message would pass 65,535 octets or a section 65,535
    /// entries (RFC 1035 §4.2.2).
    public func encoded() throws(DNSError) -> [UInt8] {
        var writer = DNSWireWriter()
        writer.writeUInt16(header.id)
        writer.writeUInt16(header.flags)
        for count in [questions.count, answers.count, authorities.count, additionals.count] {
            guard count <= Int(UInt16.max) else { throw .messageTooLong(length: count) }
            writer.writeUInt16(UInt16(count))
        }
        for question in questions {
            writer.writeName(question.name)
            writer.writeUInt16(question.type.rawValue)
            writer.writeUInt16(question.class.rawValue)
            guard writer.bytes.count <= DNSDefaults.maxMessageLength else {
                throw .messageTooLong(length: writer.bytes.count)
            }
        }
        for record in answers + authorities + additionals {
            try writer.writeRecord(record)
            guard writer.bytes.count <= DNSDefaults.maxMessageLength else {
                throw .messageTooLong(length: writer.bytes.count)
            }
        }
        return writer.bytes
    }
}

/// Appends the fields of a DNS message to an array of octets (RFC 1035 §4.1), in network order.
struct DNSWireWriter {
    var bytes: [UInt8] = []

    mutating func writeUInt8(_ value: UInt8) { bytes.append(value) }

    mutating func writeUInt16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func writeUInt32(_ value: UInt32) {
        writeUInt16(UInt16(value >> 16))
        writeUInt16(UInt16(value & 0xFFFF))
    }

    /// Writes `name` uncompressed (RFC 1035 §3.1).
    ///
    /// A name, uncompressed: each label with its length octet, then the root's zero (RFC 1035 §3.1).
    /// `DNSName` keeps its labels within the limits, so every length fits.
    mutating func writeName(_ name: DNSName) {
        for label in name.labels {
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label)
        }
        bytes.append(0)
    }

    /// A `<character-string>` of at most 255 octets (RFC 1035 §3.3).
    mutating func writeCharacterString(_ string: [UInt8]) throws(DNSError) {
        guard string.count <= 255 else { throw .malformedRecordData(type: .txt, offset: bytes.count) }
        bytes.append(UInt8(string.count))
        bytes.append(contentsOf: string)
    }

    /// A resource record with its RDLENGTH (RFC 1035 §4.1.3).
    mutating func writeRecord(_ record: DNSResourceRecord) throws(DNSError) {
        writeName(record.name)
        writeUInt16(record.type.rawValue)
        writeUInt16(record.rawClass)
        writeUInt32(record.ttl)
        let lengthOffset = bytes.count
        writeUInt16(0)
        try writeRecordData(record.data)
        let length = bytes.count - lengthOffset - 2
        guard length <= Int(UInt16.max) else { throw .messageTooLong(length: length) }
        bytes[lengthOffset] = UInt8(length >> 8)
        bytes[lengthOffset + 1] = UInt8(length & 0xFF)
    }

    mutating func writeRecordData(_ data: DNSRecordData) throws(DNSError) {
        switch data {
        case .a(let address): bytes.append(contentsOf: address.octets)
        case .aaaa(let address): bytes.append(contentsOf: address.octets)
        case .cname(let name), .ns(let name), .ptr(let name): writeName(name)
        case .mx(let mx):
            writeUInt16(mx.preference)
            writeName(mx.exchange)
        case .txt(let txt):
            for string in txt.strings { try writeCharacterString(string) }
        case .soa(let soa):
            writeName(soa.mname)
            writeName(soa.rname)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { writeUInt32(value) }
        case .tlsa(let tlsa):
            bytes.append(contentsOf: [tlsa.certificateUsage, tlsa.selector, tlsa.matchingType])
            bytes.append(contentsOf: tlsa.certificateAssociationData)
        case .opt(let options):
            for option in options {
                guard option.data.count <= Int(UInt16.max) else { throw .messageTooLong(length: option.data.count) }
                writeUInt16(option.code)
                writeUInt16(UInt16(option.data.count))
                bytes.append(contentsOf: option.data)
            }
        case .unknown(let raw): bytes.append(contentsOf: raw)
        }
    }
}

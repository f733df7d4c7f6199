extension DNSMessage {
    /// Reads a message from its octets (RFC 1035 §4.1).
    ///
    /// Octets after the last section are ignored.
    ///
    /// Malformed input throws a `DNSError` and never traps: counts larger than the message, names that
    /// loop, pass the limits or run off the end, and RDATA whose length does not fit its type.
    public static func decode(_ bytes: [UInt8]) throws(DNSError) -> DNSMessage {
        var reader = DNSWireReader(bytes)
        let id = try reader.readUInt16()
        let flags = try reader.readUInt16()
        let questionCount = try reader.readUInt16()
        let answerCount = try reader.readUInt16()
        let authorityCount = try reader.readUInt16()
        let additionalCount = try reader.readUInt16()
        var message = DNSMessage(header: DNSHeader(id: id, flags: flags))
        for _ in 0..<questionCount {
            let name = try reader.readName()
            let type = DNSType(rawValue: try reader.readUInt16())
            let `class` = DNSClass(rawValue: try reader.readUInt16())
            message.questions.append(DNSQuestion(name: name, type: type, class: `class`))
        }
        message.answers = try reader.readRecords(Int(answerCount))
        message.authorities = try reader.readRecords(Int(authorityCount))
        message.additionals = try reader.readRecords(Int(additionalCount))
        return message
    }
}

extension DNSWireReader {
    /// Reads `count` resource records (RFC 1035 §4.1.3).
    ///
    /// The count comes from the header, so it is never trusted for an allocation: each record must be there before the
    /// next is read.
    mutating func readRecords(_ count: Int) throws(DNSError) -> [DNSResourceRecord] {
        var records: [DNSResourceRecord] = []
        for _ in 0..<count { records.append(try readRecord()) }
        return records
    }

    /// Reads one resource record and its RDATA according to its type.
    mutating func readRecord() throws(DNSError) -> DNSResourceRecord {
        let name = try readName()
        let type = DNSType(rawValue: try readUInt16())
        let rawClass = try readUInt16()
        let ttl = try readUInt32()
        let length = Int(try readUInt16())
        let start = position
        try require(length, at: start)
        let data = try readRecordData(type: type, length: length)
        guard position == start + length else { throw .malformedRecordData(type: type, offset: start) }
        return DNSResourceRecord(name: name, type: type, rawClass: rawClass, ttl: ttl, data: data)
    }

    /// Reads one record's RDATA as its type requires.
    ///
    /// Reads RDATA of `length` octets (already known to be in the buffer) as `type` requires
    /// (RFC 1035 §3.3, §3.4; RFC 3596 §2.2; RFC 6698 §2.1; RFC 6891 §6.1.2). The caller checks that
    /// exactly `length` octets were used.
    mutating func readRecordData(type: DNSType, length: Int) throws(DNSError) -> DNSRecordData {
        let start = position
        let end = start + length
        switch type {
        case .a:
            guard length == 4, let address = IPv4Address(octets: try readBytes(4)) else {
                throw .malformedRecordData(type: type, offset: start)
            }
            return .a(address)
        case .aaaa:
            guard length == 16, let address = IPv6Address(octets: try readBytes(16)) else {
                throw .malformedRecordData(type: type, offset: start)
            }
            return .aaaa(address)
        case .cname: return .cname(try readName(within: end, type: type))
        case .ns: return .ns(try readName(within: end, type: type))
        case .ptr: return .ptr(try readName(within: end, type: type))
        case .mx:
            guard length >= 3 else { throw .malformedRecordData(type: type, offset: start) }
            let preference = try readUInt16()
            return .mx(MXRecord(preference: preference, exchange: try readName(within: end, type: type)))
        case .txt:
            var strings: [[UInt8]] = []
            while position < end {
                let count = Int(try readUInt8())
                guard end - position >= count else { throw .malformedRecordData(type: type, offset: start) }
                strings.append(try readBytes(count))
            }
            return .txt(TXTRecord(strings: strings))
        case .soa:
            let mname = try readName(within: end, type: type)
            let rname = try readName(within: end, type: type)
            guard end - position == 20 else { throw .malformedRecordData(type: type, offset: start) }
            return .soa(
                SOARecord(
                    mname: mname,
                    rname: rname,
                    serial: try readUInt32(),
                    refresh: try readUInt32(),
                    retry: try readUInt32(),
                    expire: try readUInt32(),
                    minimum: try readUInt32()
                )
            )
        case .tlsa:
            guard length >= 3 else { throw .malformedRecordData(type: type, offset: start) }
            return .tlsa(
                TLSARecord(
                    certificateUsage: try readUInt8(),
                    selector: try readUInt8(),
                    matchingType: try readUInt8(),
                    certificateAssociationData: try readBytes(length - 3)
                )
            )
        case .opt:
            var options: [EDNSOption] = []
            while position < end {
                guard end - position >= 4 else { throw .malformedRecordData(type: type, offset: start) }
                let code = try readUInt16()
                let count = Int(try readUInt16())
                guard end - position >= count else { throw .malformedRecordData(type: type, offset: start) }
                options.append(EDNSOption(code: code, data: try readBytes(count)))
            }
            return .opt(options)
        default:
            return .unknown(try readBytes(length))
        }
    }

    /// Reads a name inside RDATA: its uncompressed part must end within the RDATA.
    private mutating func readName(within end: Int, type: DNSType) throws(DNSError) -> DNSName {
        let start = position
        let name = try readName()
        guard position <= end else { throw .malformedRecordData(type: type, offset: start) }
        return name
    }
}

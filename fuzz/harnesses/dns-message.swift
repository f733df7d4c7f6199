// libFuzzer harness: the DNS message decoder (RFC 1035 §4.1) on any bytes, then what the resolver does
// with a decoded response: the answer to its question (CNAME chains, NXDOMAIN/NODATA) and the cache.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSMessage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let message: DNSMessage
    do {
        message = try DNSMessage.decode(bytes)
    } catch {
        return 0
    }
    var names = message.questions.map(\.name)
    for record in message.answers + message.authorities + message.additionals {
        names.append(record.name)
        switch record.data {
        case .cname(let name), .ns(let name), .ptr(let name): names.append(name)
        case .mx(let mx): names.append(mx.exchange)
        case .soa(let soa): names += [soa.mname, soa.rname]
        case .txt(let txt): fuzzCheck(txt.strings.allSatisfy { $0.count <= 255 }, "TXT string over 255 octets")
        default: break
        }
    }
    for name in names {
        fuzzCheck(name.wireLength <= DNSDefaults.maxNameLength, "name of \(name.wireLength) octets")
        fuzzCheck(name.labels.allSatisfy { (1...DNSDefaults.maxLabelLength).contains($0.count) }, "label out of 1...63")
        _ = name.description
    }

    // What is read writes back (uncompressed) and reads again as the same message.
    if let encoded = try? message.encoded() {
        guard let again = try? DNSMessage.decode(encoded) else {
            fatalError("fuzz invariant broken: the encoding of a decoded message does not decode")
        }
        fuzzCheck(again == message, "decode(encode(message)) differs from message")
        fuzzCheck((try? again.encoded()) == encoded, "encoding is not stable")
    }

    // The answer to the message's first question, and the cache that keeps it.
    guard let question = message.questions.first else { return 0 }
    let answer = DNSAnswer.interpret(message, for: question)
    if case .records(let records, let ttl) = answer {
        fuzzCheck(!records.isEmpty, "an answer of no records")
        fuzzCheck(records.allSatisfy { $0.type == question.type }, "records of another type")
        fuzzCheck(records.allSatisfy { ttl <= $0.ttl }, "TTL above a record's")
    }
    var cache = DNSCache(maxEntries: 2)
    let key = DNSCache.Key(name: question.name, type: question.type)
    cache.store(answer, for: key, now: .seconds(10))
    let cached = cache.lookup(key, now: .seconds(10))
    switch answer {
    case .records(let records, let ttl) where ttl > 0: fuzzCheck(cached == .records(records), "records not cached")
    case .serverFailure, .cnameChainTooLong: fuzzCheck(cached == nil, "a failure was cached")
    default: break
    }
    fuzzCheck(cache.lookup(key, now: .seconds(10 + 86_400)) == nil, "an entry outlived the one-day cap")
    return 0
}

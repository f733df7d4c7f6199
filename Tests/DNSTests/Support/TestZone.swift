import DNS

/// What the in-process test nameserver knows and how it misbehaves: a table of records, names that
/// fail, and tricks (truncation, wrong IDs, replies from another port) for the resolver's tests.
struct TestZone: Sendable {
    /// Every record the server serves; CNAMEs are followed inside the answer like a recursive server.
    var records: [DNSResourceRecord] = []
    /// Names answered with SERVFAIL.
    var serverFailures: Set<DNSName> = []
    /// Names whose UDP answer is sent with TC=1 and no records; TCP gives the full answer.
    var truncatedOverUDP: Set<DNSName> = []
    /// Names whose real answer is preceded by one with the wrong ID and a false address.
    var wrongIDFirst: Set<DNSName> = []
    /// Names whose real answer is preceded by one from another source port with a false address.
    var otherPortFirst: Set<DNSName> = []
    /// The SOA put in the authority section of negative answers (nil: none, not cacheable).
    var soa: DNSResourceRecord? = TestZone.soa(ttl: 300, minimum: 60)
    /// Never answer anything.
    var silent = false
    /// Answer FORMERR (without OPT) to every query that carries an OPT record, like a pre-EDNS server.
    var rejectsEDNS = false

    /// An SOA record for `test.` with the given TTL and MINIMUM.
    static func soa(ttl: UInt32, minimum: UInt32) -> DNSResourceRecord {
        DNSResourceRecord(
            name: name("test"),
            type: .soa,
            ttl: ttl,
            data: .soa(
                SOARecord(
                    mname: name("ns.test"),
                    rname: name("hostmaster.test"),
                    serial: 1,
                    refresh: 3600,
                    retry: 600,
                    expire: 86400,
                    minimum: minimum
                )
            )
        )
    }

    /// The false answer of the spoofing tests.
    static let spoofedAddress = DNSRecordData.a(IPv4Address("127.0.0.66")!)

    /// The server's replies to `query`, in the order to send them; `overTCP` when asked over TCP.
    func replies(to query: DNSMessage, overTCP: Bool) -> (spoofed: [DNSMessage], real: [DNSMessage]) {
        guard !silent, let question = query.questions.first else { return ([], []) }
        var header = DNSHeader(id: query.header.id)
        header.isResponse = true
        header.recursionDesired = query.header.recursionDesired
        header.recursionAvailable = true
        var response = DNSMessage(header: header, questions: query.questions)
        if rejectsEDNS, query.opt != nil {
            response.header.rcode = UInt8(DNSRCode.formErr.rawValue)
            return ([], [response])
        }
        if serverFailures.contains(question.name) {
            response.header.rcode = UInt8(DNSRCode.servFail.rawValue)
            return ([], [response])
        }
        var name = question.name
        for _ in 0..<16 {
            let matching = records.filter { $0.name == name && $0.type == question.type }
            if !matching.isEmpty {
                response.answers += matching
                break
            }
            guard let alias = records.first(where: { $0.name == name && $0.type == .cname }),
                case .cname(let target) = alias.data
            else {
                if !records.contains(where: { $0.name == name }) {
                    response.header.rcode = UInt8(DNSRCode.nxDomain.rawValue)
                }
                if let soa { response.authorities = [soa] }
                break
            }
            response.answers.append(alias)
            name = target
        }
        if truncatedOverUDP.contains(question.name), !overTCP {
            response.header.truncated = true
            response.answers = []
        }
        var spoofed: [DNSMessage] = []
        var real: [DNSMessage] = []
        if wrongIDFirst.contains(question.name) {
            var fake = response
            fake.header.id &+= 1
            fake.answers = [
                DNSResourceRecord(name: question.name, type: question.type, ttl: 60, data: TestZone.spoofedAddress)
            ]
            real.append(fake)
        }
        if otherPortFirst.contains(question.name) {
            var fake = response
            fake.answers = [
                DNSResourceRecord(name: question.name, type: question.type, ttl: 60, data: TestZone.spoofedAddress)
            ]
            spoofed.append(fake)
        }
        real.append(response)
        return (spoofed, real)
    }
}

/// A name from text, for tables (the texts are valid).
func name(_ text: String) -> DNSName { try! DNSName(text) }

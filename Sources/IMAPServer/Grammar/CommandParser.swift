import struct Foundation.Date

/// Parses complete commands delivered by `IMAPFramer` into `TaggedCommand`s.
public enum IMAPCommandParser {
    /// The result of parsing one command: the command, or the tag (when readable) and why it is bad.
    public enum Outcome: Sendable, Equatable {
        case command(TaggedCommand)
        case bad(tag: String?, reason: String)
    }

    // command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF
    /// Parses one complete command from the framer into a tagged command, or the reason for `BAD`.
    public static func parse(_ bytes: [UInt8]) -> Outcome {
        var parser = IMAPParser(bytes)
        guard let tag = try? parser.tag(), parser.consume(.space) else {
            return .bad(tag: nil, reason: "Missing or invalid tag")
        }
        do {
            let command = try parser.command()
            try parser.expectEnd()
            return .command(TaggedCommand(tag: tag, command: command))
        } catch let error as IMAPParseError {
            return .bad(tag: tag, reason: error.reason)
        } catch {
            return .bad(tag: tag, reason: "Invalid command")
        }
    }
}

extension IMAPParser {
    mutating func command() throws -> IMAPCommand {
        let name = try atom().uppercased()
        switch name {
        // command-any = "CAPABILITY" / "LOGOUT" / "NOOP" / x-command / id (RFC 2971)
        case "CAPABILITY": return .capability
        case "NOOP": return .noop
        case "LOGOUT": return .logout
        case "ID": return .id(try idParameters())
        // command-nonauth = login / authenticate / "STARTTLS"
        case "STARTTLS": return .startTLS
        case "LOGIN":
            // login = "LOGIN" SP userid SP password
            try space()
            let user = try astringText()
            try space()
            return .login(username: user, password: try astringText())
        case "AUTHENTICATE":
            // authenticate = "AUTHENTICATE" SP auth-type [SP (base64 / "=")]  (RFC 4959)
            try space()
            let mechanism = try atom().uppercased()
            var initial: String?
            if consume(.space) {
                let run = take { $0 > 0x20 && $0 < 0x7F }
                guard !run.isEmpty else { throw IMAPParseError("Invalid initial response") }
                initial = String(decoding: run, as: UTF8.self)
            }
            return .authenticate(mechanism: mechanism, initialResponse: initial)
        // command-auth
        case "ENABLE":
            // enable = "ENABLE" 1*(SP capability)  (RFC 5161)
            var capabilities: [String] = []
            while consume(.space) { capabilities.append(try atom().uppercased()) }
            guard !capabilities.isEmpty else { throw IMAPParseError("ENABLE needs a capability") }
            return .enable(capabilities)
        case "SELECT", "EXAMINE": return try selectArguments(examine: name == "EXAMINE")
        case "CREATE":
            try space()
            return .create(try mailbox())
        case "DELETE":
            try space()
            return .delete(try mailbox())
        case "RENAME":
            // rename = "RENAME" SP mailbox SP mailbox
            try space()
            let from = try mailbox()
            try space()
            return .rename(from: from, to: try mailbox())
        case "SUBSCRIBE":
            try space()
            return .subscribe(try mailbox())
        case "UNSUBSCRIBE":
            try space()
            return .unsubscribe(try mailbox())
        case "LIST": return .list(try listArguments())
        case "LSUB":
            // lsub = "LSUB" SP mailbox SP list-mailbox
            try space()
            let reference = try mailbox()
            try space()
            return .lsub(reference: reference, pattern: try listMailbox())
        case "NAMESPACE": return .namespace
        case "STATUS":
            // status = "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")"
            try space()
            let mailbox = try mailbox()
            try space()
            return .status(mailbox, try statusAttributeList())
        case "APPEND": return .append(try appendArguments())
        case "IDLE": return .idle
        // command-select
        case "CHECK": return .check
        case "CLOSE": return .close
        case "UNSELECT": return .unselect
        case "EXPUNGE": return .expunge
        case "SEARCH": return try searchArguments(uid: false)
        case "FETCH": return try fetchArguments(uid: false)
        case "STORE": return try storeArguments(uid: false)
        case "COPY", "MOVE": return try copyArguments(uid: false, move: name == "MOVE")
        case "UID": return try uidCommand()
        default:
            throw IMAPParseError("Unknown command \(name.prefix(32))")
        }
    }

    /// The arguments of SELECT or EXAMINE, with RFC 7162's CONDSTORE parameter.
    ///
    /// `select = "SELECT" SP mailbox [SP "(" select-param *(SP select-param) ")"]`
    private mutating func selectArguments(examine: Bool) throws -> IMAPCommand {
        try space()
        let mailbox = try mailbox()
        var condStore = false
        if consume(.space) {
            try expect(UInt8(ascii: "("), "'(' starting select parameters")
            repeat {
                guard consumeKeyword("CONDSTORE") else { throw IMAPParseError("Unknown select parameter") }
                condStore = true
            } while consume(.space)
            try expect(UInt8(ascii: ")"), "')' closing select parameters")
        }
        return examine ? .examine(mailbox, condStore: condStore) : .select(mailbox, condStore: condStore)
    }

    /// The command after UID (RFC 3501 §6.4.8, RFC 4315 UID EXPUNGE, RFC 6851 UID MOVE).
    ///
    /// `uid = "UID" SP (copy / move / fetch / search / store / uid-expunge)`
    private mutating func uidCommand() throws -> IMAPCommand {
        try space()
        let sub = try atom().uppercased()
        switch sub {
        case "FETCH": return try fetchArguments(uid: true)
        case "SEARCH": return try searchArguments(uid: true)
        case "STORE": return try storeArguments(uid: true)
        case "COPY", "MOVE": return try copyArguments(uid: true, move: sub == "MOVE")
        case "EXPUNGE":
            try space()
            return .uidExpunge(try sequenceSet())
        default: throw IMAPParseError("Unknown UID command \(sub)")
        }
    }

    // copy = "COPY" SP sequence-set SP mailbox ; move = "MOVE" SP sequence-set SP mailbox (RFC 6851)
    mutating func copyArguments(uid: Bool, move: Bool) throws -> IMAPCommand {
        try space()
        let set = try sequenceSet()
        try space()
        let mailbox = try mailbox()
        return move ? .move(set, mailbox, uid: uid) : .copy(set, mailbox, uid: uid)
    }

    // id = "ID" SP id-params-list ; id-params-list = "(" *(string SP nstring) ")" / nil  (RFC 2971)
    mutating func idParameters() throws -> [IDParameter]? {
        try space()
        if consumeKeyword("NIL") { return nil }
        try expect(UInt8(ascii: "("), "'(' or NIL")
        var parameters: [IDParameter] = []
        if consume(UInt8(ascii: ")")) { return parameters }
        repeat {
            let key = String(decoding: try string(), as: UTF8.self)
            try space()
            let value = try nstring().map { String(decoding: $0, as: UTF8.self) }
            parameters.append(IDParameter(key: key, value: value))
        } while consume(.space)
        try expect(UInt8(ascii: ")"), "')' closing the ID list")
        guard parameters.count <= 30 else { throw IMAPParseError("Too many ID fields") }
        return parameters
    }

    // status-att = "MESSAGES" / "RECENT" / "UIDNEXT" / "UIDVALIDITY" / "UNSEEN" (+ "SIZE", "HIGHESTMODSEQ")
    mutating func statusAttributeList() throws -> [StatusAttribute] {
        try expect(UInt8(ascii: "("), "'(' starting status attributes")
        var attributes: [StatusAttribute] = []
        repeat {
            let word = try atom().uppercased()
            guard let attribute = StatusAttribute(rawValue: word) else {
                throw IMAPParseError("Unknown status attribute \(word.prefix(32))")
            }
            attributes.append(attribute)
        } while consume(.space)
        try expect(UInt8(ascii: ")"), "')' closing status attributes")
        return attributes
    }

    // append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal
    mutating func appendArguments() throws -> AppendCommand {
        try space()
        let mailbox = try mailbox()
        try space()
        var flags: [Flag] = []
        if peek == UInt8(ascii: "(") {
            flags = try flagList()
            try space()
        }
        var date: Date?
        if peek == UInt8(ascii: "\"") {
            date = try dateTime()
            try space()
        }
        guard peek == UInt8(ascii: "{") else { throw IMAPParseError("APPEND needs the message as a literal") }
        streamedLiteralID = nil
        let message = try literal()
        var command = AppendCommand(mailbox: mailbox, flags: flags, internalDate: date, message: message)
        command.streamedLiteralID = streamedLiteralID
        return command
    }
}

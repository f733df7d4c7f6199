extension IMAPParser {
    // store = "STORE" SP sequence-set SP [store-modifiers SP] store-att-flags
    // store-modifiers = "(" "UNCHANGEDSINCE" SP mod-sequence-valzer ")"   (RFC 7162 §3.1.3)
    // store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
    mutating func storeArguments(uid: Bool) throws -> IMAPCommand {
        try space()
        let set = try sequenceSet()
        try space()
        var unchangedSince: UInt64?
        if consume(UInt8(ascii: "(")) {
            guard consumeKeyword("UNCHANGEDSINCE") else { throw IMAPParseError("Unknown STORE modifier") }
            try space()
            unchangedSince = try number64()
            try expect(UInt8(ascii: ")"), "')' closing STORE modifiers")
            try space()
        }
        let operation: StoreCommand.Operation
        if consume(UInt8(ascii: "+")) {
            operation = .add
        } else if consume(UInt8(ascii: "-")) {
            operation = .remove
        } else {
            operation = .replace
        }
        guard consumeKeyword("FLAGS") else { throw IMAPParseError("Expected FLAGS, +FLAGS or -FLAGS") }
        let silent = consumeKeyword(".SILENT")
        try space()
        let flags = try storeFlags()
        return .store(
            set, StoreCommand(operation: operation, silent: silent, flags: flags, unchangedSince: unchangedSince),
            uid: uid)
    }
}

extension IMAPParser {
    // list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]   (RFC 5258 §6)
    // list-select-opts = "(" [list-select-option *(SP list-select-option)] ")"
    // mbox-or-pat = list-mailbox / patterns ; patterns = "(" list-mailbox *(SP list-mailbox) ")"
    // list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
    mutating func listArguments() throws -> ListCommand {
        try space()
        var selection: [ListCommand.SelectionOption] = []
        if consume(UInt8(ascii: "(")) {
            if !consume(UInt8(ascii: ")")) {
                repeat {
                    let word = try atom().uppercased()
                    guard let option = ListCommand.SelectionOption(rawValue: word) else {
                        throw IMAPParseError("Unknown LIST selection option \(word.prefix(32))")
                    }
                    selection.append(option)
                } while consume(.space)
                try expect(UInt8(ascii: ")"), "')' closing LIST selection options")
            }
            try space()
        }
        let reference = try listMailbox()
        try space()
        var patterns: [String] = []
        if consume(UInt8(ascii: "(")) {
            repeat { patterns.append(try listMailbox()) } while consume(.space)
            try expect(UInt8(ascii: ")"), "')' closing LIST patterns")
        } else {
            patterns.append(try listMailbox())
        }
        var returnOptions: [ListCommand.ReturnOption] = []
        if consume(.space) {
            guard consumeKeyword("RETURN") else { throw IMAPParseError("Expected RETURN") }
            try space()
            try expect(UInt8(ascii: "("), "'(' starting LIST return options")
            if !consume(UInt8(ascii: ")")) {
                repeat {
                    let word = try atom().uppercased()
                    switch word {
                    case "SUBSCRIBED": returnOptions.append(.subscribed)
                    case "CHILDREN": returnOptions.append(.children)
                    case "SPECIAL-USE": returnOptions.append(.specialUse)
                    case "STATUS":
                        // return-option =/ "STATUS" SP "(" status-att *(SP status-att) ")"  (RFC 5819)
                        try space()
                        returnOptions.append(.status(try statusAttributeList()))
                    default: throw IMAPParseError("Unknown LIST return option \(word.prefix(32))")
                    }
                } while consume(.space)
                try expect(UInt8(ascii: ")"), "')' closing LIST return options")
            }
        }
        return ListCommand(selection: selection, reference: reference, patterns: patterns, returnOptions: returnOptions)
    }
}

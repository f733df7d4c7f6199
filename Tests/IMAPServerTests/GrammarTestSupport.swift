import Testing

@testable import IMAPServer

/// Parses one command given as text (lines joined with CRLF like the framer delivers them).
func parse(_ text: String) -> IMAPCommandParser.Outcome {
    IMAPCommandParser.parse(Array(text.utf8))
}

/// The command of a line that must parse.
func command(_ text: String) -> IMAPCommand? {
    if case .command(let tagged) = parse(text) { return tagged.command }
    return nil
}

/// The BAD reason of a line that must not parse.
func badReason(_ text: String) -> String? {
    if case .bad(_, let reason) = parse(text) { return reason }
    return nil
}

func feedAll(_ framer: inout IMAPFramer, _ text: String) -> [IMAPFramer.Event] {
    framer.feed(Array(text.utf8))
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func encoded(_ response: IMAPResponse) -> String {
    String(decoding: IMAPResponseEncoder.encode(response), as: UTF8.self)
}

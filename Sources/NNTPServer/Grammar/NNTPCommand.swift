import Foundation

/// A command line that breaks RFC 3977's grammar: answered `501` with the reason.
public struct NNTPSyntaxError: Error, Equatable, Sendable {
    /// Why, for the 501 line.
    public var reason: String
    /// An error with its reason.
    public init(_ reason: String) { self.reason = reason }
}

/// Which article a command is about (RFC 3977 §6.2): the current one, a number in the selected
/// group, or a message-id anywhere.
public enum ArticleSelector: Equatable, Sendable {
    case current
    case number(UInt32)
    case messageID(String)
}

/// What ARTICLE, HEAD, BODY and STAT send back (§6.2.1–§6.2.4).
public enum ArticlePart: Equatable, Sendable {
    case article, head, body, stat
}

/// The range OVER and HDR are about (§8.3, §8.5): the current article, a range, or a message-id.
public enum RangeSelector: Equatable, Sendable {
    case current
    case range(ArticleRange)
    case messageID(String)
}

/// LIST's keywords (RFC 3977 §7.6, RFC 6048 not included).
public enum ListKeyword: Equatable, Sendable {
    case active(Wildmat?)
    case activeTimes(Wildmat?)
    case newsgroups(Wildmat?)
    case overviewFormat
    /// LIST HEADERS [MSGID|RANGE] (§8.6).
    case headers
}

/// One NNTP command (RFC 3977, RFC 4642 STARTTLS, RFC 4643 AUTHINFO).
public enum NNTPCommand: Equatable, Sendable {
    case capabilities
    case modeReader
    case group(String)
    case listGroup(String?, ArticleRange?)
    case article(ArticleSelector, ArticlePart)
    case next
    case last
    case over(RangeSelector)
    /// HDR, or XHDR (`legacy`: answered 221 as RFC 2980 did, not 225).
    case hdr(field: String, RangeSelector, legacy: Bool)
    case list(ListKeyword)
    /// NEWGROUPS date time [GMT]: the instant given.
    case newGroups(since: Date)
    case newNews(Wildmat, since: Date)
    case date
    case post
    /// IHAVE <message-id> (§6.3.2): a peer offers an article.
    case ihave(String)
    case help
    case quit
    case startTLS
    case authinfoUser(String)
    case authinfoPass(String)
    /// AUTHINFO SASL mechanism [initial-response].
    case authinfoSASL(mechanism: String, initialResponse: String?)
}

/// Parses command lines (without CRLF) into commands: `500` for an unknown command, `501` (the thrown
/// `NNTPSyntaxError`) for bad arguments.
public enum NNTPCommandParser {
    /// What parsing a line gave.
    public enum Outcome: Equatable, Sendable {
        case command(NNTPCommand)
        /// §3.2.1: not a command this server knows (500).
        case unknown(String)
        /// §3.2.1: a known command with bad arguments (501).
        case syntaxError(String)
    }

    /// Parses one line.
    ///
    /// `now` resolves two-digit years of NEWGROUPS and NEWNEWS (§7.3.2).
    public static func parse(_ line: [UInt8], now: Date) -> Outcome {
        guard line.count <= NNTPDefaults.maximumCommandLineBytes else {
            return .syntaxError("command line longer than \(NNTPDefaults.maximumCommandLineBytes) octets")
        }
        guard let text = String(validating: line, as: UTF8.self),
            !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F })
        else { return .syntaxError("command line is not UTF-8 text") }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = words.first else { return .unknown("") }
        let arguments = Array(words.dropFirst())
        do {
            if first.uppercased() == "AUTHINFO" { return .command(try authinfo(arguments, line: text)) }
            guard let command = try command(first.uppercased(), arguments, now: now) else {
                return .unknown(String(first))
            }
            return .command(command)
        } catch let error as NNTPSyntaxError {
            return .syntaxError(error.reason)
        } catch {
            return .syntaxError("\(error)")
        }
    }

    private static func command(_ verb: String, _ arguments: [Substring], now: Date) throws -> NNTPCommand? {
        func expect(_ range: ClosedRange<Int>) throws {
            guard range.contains(arguments.count) else { throw NNTPSyntaxError("wrong number of arguments") }
        }
        switch verb {
        case "CAPABILITIES":
            try expect(0...1)
            return .capabilities
        case "MODE":
            try expect(1...1)
            guard arguments[0].uppercased() == "READER" else { throw NNTPSyntaxError("only MODE READER is known") }
            return .modeReader
        case "GROUP":
            try expect(1...1)
            return .group(String(arguments[0]))
        case "LISTGROUP":
            try expect(0...2)
            return .listGroup(
                arguments.first.map(String.init),
                try arguments.count == 2 ? ArticleRange(arguments[1]) : nil
            )
        case "ARTICLE": return .article(try selector(arguments), .article)
        case "HEAD": return .article(try selector(arguments), .head)
        case "BODY": return .article(try selector(arguments), .body)
        case "STAT": return .article(try selector(arguments), .stat)
        case "NEXT":
            try expect(0...0)
            return .next
        case "LAST":
            try expect(0...0)
            return .last
        case "OVER", "XOVER":
            try expect(0...1)
            return .over(try rangeSelector(arguments.first))
        case "HDR", "XHDR":
            try expect(1...2)
            return .hdr(
                field: String(arguments[0]),
                try rangeSelector(arguments.count == 2 ? arguments[1] : nil),
                legacy: verb == "XHDR"
            )
        case "LIST": return .list(try listKeyword(arguments))
        case "NEWGROUPS":
            try expect(2...3)
            return .newGroups(since: try NNTPDateTime.parse(arguments, now: now))
        case "NEWNEWS":
            try expect(3...4)
            return .newNews(
                try Wildmat(String(arguments[0])),
                since: try NNTPDateTime.parse(arguments.dropFirst(), now: now)
            )
        case "DATE":
            try expect(0...0)
            return .date
        case "POST":
            try expect(0...0)
            return .post
        case "IHAVE":
            try expect(1...1)
            return .ihave(try messageID(arguments[0]))
        case "HELP":
            try expect(0...0)
            return .help
        case "QUIT":
            try expect(0...0)
            return .quit
        case "STARTTLS":
            try expect(0...0)
            return .startTLS
        default: return nil
        }
    }

    private static func selector(_ arguments: [Substring]) throws -> ArticleSelector {
        guard arguments.count <= 1 else { throw NNTPSyntaxError("wrong number of arguments") }
        guard let argument = arguments.first else { return .current }
        if argument.hasPrefix("<") { return .messageID(try messageID(argument)) }
        guard let number = ArticleRange.number(argument) else { throw NNTPSyntaxError("not an article number") }
        return .number(number)
    }

    private static func rangeSelector(_ argument: Substring?) throws -> RangeSelector {
        guard let argument else { return .current }
        if argument.hasPrefix("<") { return .messageID(try messageID(argument)) }
        return .range(try ArticleRange(argument))
    }

    /// §3.6: `<` … `>`, 3 to 250 octets, printable US-ASCII without `>` inside.
    static func messageID(_ text: Substring) throws -> String {
        let bytes = Array(text.utf8)
        guard (3...250).contains(bytes.count), bytes.first == UInt8(ascii: "<"), bytes.last == UInt8(ascii: ">"),
            bytes.dropFirst().dropLast().allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ">") })
        else { throw NNTPSyntaxError("not a message-id") }
        return String(text)
    }

    private static func listKeyword(_ arguments: [Substring]) throws -> ListKeyword {
        guard arguments.count <= 2 else { throw NNTPSyntaxError("wrong number of arguments") }
        let keyword = arguments.first?.uppercased() ?? "ACTIVE"
        let wildmat = try arguments.count == 2 ? Wildmat(String(arguments[1])) : nil
        switch keyword {
        case "ACTIVE": return .active(wildmat)
        case "ACTIVE.TIMES": return .activeTimes(wildmat)
        case "NEWSGROUPS": return .newsgroups(wildmat)
        case "OVERVIEW.FMT":
            guard arguments.count == 1 else { throw NNTPSyntaxError("LIST OVERVIEW.FMT takes no argument") }
            return .overviewFormat
        case "HEADERS":
            if arguments.count == 2, !["MSGID", "RANGE"].contains(arguments[1].uppercased()) {
                throw NNTPSyntaxError("LIST HEADERS takes MSGID or RANGE")
            }
            return .headers
        default: throw NNTPSyntaxError("unknown LIST keyword \(keyword)")
        }
    }

    private static func authinfo(_ arguments: [Substring], line: String) throws -> NNTPCommand {
        guard let sub = arguments.first?.uppercased() else { throw NNTPSyntaxError("AUTHINFO needs a subcommand") }
        switch sub {
        case "USER", "PASS":
            // RFC 4643 §2.3's grammar allows no spaces, but passwords with spaces exist and INN takes the
            // rest of the line: so does correo (one space after the subcommand is the separator).
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard arguments.count >= 2, parts.count == 3, !parts[2].isEmpty else {
                throw NNTPSyntaxError("AUTHINFO \(sub) takes one argument")
            }
            return sub == "USER" ? .authinfoUser(String(parts[2])) : .authinfoPass(String(parts[2]))
        case "SASL":
            guard (2...3).contains(arguments.count) else { throw NNTPSyntaxError("AUTHINFO SASL mechanism [response]") }
            return .authinfoSASL(
                mechanism: arguments[1].uppercased(),
                initialResponse: arguments.count == 3 ? String(arguments[2]) : nil
            )
        default: throw NNTPSyntaxError("unknown AUTHINFO subcommand \(sub)")
        }
    }
}

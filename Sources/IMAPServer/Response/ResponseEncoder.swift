import struct Foundation.Date

/// Encodes `IMAPResponse`s to their wire form (RFC 3501 §7 and §9), CRLF included.
public enum IMAPResponseEncoder {
    /// The octets of one response on the wire, CRLF included.
    public static func encode(_ response: IMAPResponse) -> [UInt8] {
        var w = ResponseWriter()
        w.response(response)
        return w.bytes
    }

    /// The octets of several responses, one after another.
    public static func encode(_ responses: [IMAPResponse]) -> [UInt8] {
        var w = ResponseWriter()
        for response in responses { w.response(response) }
        return w.bytes
    }

    /// `date-time` as INTERNALDATE shows it: `"dd-Mon-yyyy hh:mm:ss +0000"` (always UTC).
    public static func internalDate(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        let civil = civilFromDays(days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let month = IMAPParser.monthNames[civil.month - 1]
        let monthName = month.prefix(1) + month.dropFirst().lowercased()
        return "\(two(civil.day))-\(monthName)-\(civil.year) \(two(secondOfDay / 3600)):"
            + "\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60)) +0000"
    }
}

extension ResponseWriter {
    mutating func response(_ response: IMAPResponse) {
        switch response {
        case .tagged(let tag, let status, let code, let text):
            // response-tagged = tag SP resp-cond-state CRLF
            raw(tag)
            space()
            condition(status, code, text)
        case .untagged(let untagged):
            raw("* ")
            self.untagged(untagged)
        case .continuation(let text):
            // continue-req = "+" SP (resp-text / base64) CRLF
            raw("+ ")
            raw(Self.sanitizedText(text))
        }
        crlf()
    }

    // resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text ; resp-text = ["[" resp-text-code "]" SP] text
    mutating func condition(_ status: ResponseStatus, _ code: ResponseCode?, _ text: String) {
        raw(status.rawValue)
        space()
        if let code {
            raw("[")
            responseCode(code)
            raw("] ")
        }
        raw(Self.sanitizedText(text.isEmpty ? status.rawValue : text))
    }

    /// `text = 1*TEXT-CHAR`: no CR, LF or NUL may reach the wire inside human-readable text.
    static func sanitizedText(_ text: String) -> String {
        String(text.unicodeScalars.map { $0 == "\r" || $0 == "\n" || $0 == "\0" ? " " : Character($0) })
    }

    mutating func responseCode(_ code: ResponseCode) {
        switch code {
        case .alert: raw("ALERT")
        case .badCharset(let charsets):
            raw("BADCHARSET")
            if !charsets.isEmpty {
                space()
                list(charsets) { $0.astring(Array($1.utf8)) }
            }
        case .capability(let capabilities): raw("CAPABILITY " + capabilities.joined(separator: " "))
        case .parse: raw("PARSE")
        case .permanentFlags(let flags, let allowsKeywords):
            raw("PERMANENTFLAGS ")
            list(flags.map(\.rawValue) + (allowsKeywords ? ["\\*"] : [])) { $0.raw($1) }
        case .readOnly: raw("READ-ONLY")
        case .readWrite: raw("READ-WRITE")
        case .tryCreate: raw("TRYCREATE")
        case .uidNext(let n): raw("UIDNEXT \(n)")
        case .uidValidity(let n): raw("UIDVALIDITY \(n)")
        case .unseen(let n): raw("UNSEEN \(n)")
        case .appendUID(let validity, let uid): raw("APPENDUID \(validity) \(uid)")
        case .copyUID(let validity, let source, let destination): raw("COPYUID \(validity) \(source) \(destination)")
        case .highestModSeq(let n): raw("HIGHESTMODSEQ \(n)")
        case .noModSeq: raw("NOMODSEQ")
        case .modified(let set): raw("MODIFIED \(set)")
        case .tooBig: raw("TOOBIG")
        case .nonexistent: raw("NONEXISTENT")
        case .alreadyExists: raw("ALREADYEXISTS")
        case .cannot: raw("CANNOT")
        case .limit: raw("LIMIT")
        case .authenticationFailed: raw("AUTHENTICATIONFAILED")
        case .privacyRequired: raw("PRIVACYREQUIRED")
        case .closed: raw("CLOSED")
        case .serverBug: raw("SERVERBUG")
        case .clientBug: raw("CLIENTBUG")
        case .inUse: raw("INUSE")
        case .expungeIssued: raw("EXPUNGEISSUED")
        case .unavailable: raw("UNAVAILABLE")
        case .noPerm: raw("NOPERM")
        }
    }

    mutating func untagged(_ response: UntaggedResponse) {
        switch response {
        case .condition(let status, let code, let text): condition(status, code, text)
        case .capability(let capabilities): raw("CAPABILITY " + capabilities.joined(separator: " "))
        case .enabled(let capabilities): raw((["ENABLED"] + capabilities).joined(separator: " "))
        case .id(let parameters):
            // id-response = "ID" SP id-params-list
            raw("ID ")
            if let parameters {
                list(parameters) { w, p in
                    w.string(p.key)
                    w.space()
                    w.nstring(p.value.map { Array($0.utf8) })
                }
            } else {
                raw("NIL")
            }
        case .namespace(let prefix, let delimiter, let shared):
            // Namespace-Response = "NAMESPACE" SP Namespace SP Namespace SP Namespace  (RFC 2342):
            // personal, other users', shared.
            raw("NAMESPACE ((")
            string(prefix)
            space()
            string(delimiter)
            raw(")) NIL ")
            if shared.isEmpty {
                raw("NIL")
            } else {
                raw("(")
                for namespace in shared {
                    raw("(")
                    string(namespace.prefix)
                    space()
                    string(namespace.delimiter)
                    raw(")")
                }
                raw(")")
            }
        case .list(let entry): listEntry("LIST", entry)
        case .lsub(let entry): listEntry("LSUB", entry)
        case .status(let name, let values):
            // status-response = "STATUS" SP mailbox SP "(" [status-att-list] ")"
            raw("STATUS ")
            mailbox(name)
            space()
            list(values) { $0.raw("\($1.attribute.rawValue) \($1.value)") }
        case .search(let numbers, let modSeq):
            raw("SEARCH")
            for n in numbers { raw(" \(n)") }
            if let modSeq { raw(" (MODSEQ \(modSeq))") }
        case .esearch(let tag, let uid, let items):
            // esearch-response = "ESEARCH" [search-correlator] [SP "UID"] *(SP search-return-data)
            raw("ESEARCH (TAG ")
            string(tag)
            raw(")")
            if uid { raw(" UID") }
            for item in items {
                switch item {
                case .min(let n): raw(" MIN \(n)")
                case .max(let n): raw(" MAX \(n)")
                case .count(let n): raw(" COUNT \(n)")
                case .all(let set): raw(" ALL \(set)")
                case .modSeq(let n): raw(" MODSEQ \(n)")
                }
            }
        case .flags(let flags):
            raw("FLAGS ")
            list(flags) { $0.raw($1.rawValue) }
        case .exists(let n): raw("\(n) EXISTS")
        case .recent(let n): raw("\(n) RECENT")
        case .expunge(let n): raw("\(n) EXPUNGE")
        case .fetch(let n, let items):
            raw("\(n) FETCH ")
            list(items) { $0.fetchItem($1) }
        }
    }

    // mailbox-list = "(" [mbx-list-flags] ")" SP (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
    mutating func listEntry(_ keyword: String, _ entry: ListEntry) {
        raw(keyword)
        space()
        list(entry.attributes) { $0.raw($1) }
        space()
        if let delimiter = entry.delimiter { string(delimiter) } else { raw("NIL") }
        space()
        mailbox(entry.name)
    }

    mutating func fetchItem(_ item: FetchResponseItem) {
        switch item {
        case .uid(let uid): raw("UID \(uid)")
        case .flags(let flags):
            raw("FLAGS ")
            list(flags) { $0.raw($1.rawValue) }
        case .internalDate(let date):
            raw("INTERNALDATE \"\(IMAPResponseEncoder.internalDate(date))\"")
        case .rfc822Size(let size): raw("RFC822.SIZE \(size)")
        case .envelope(let envelope):
            raw("ENVELOPE ")
            self.envelope(envelope)
        case .body(let body):
            raw("BODY ")
            bodyStructure(body, extensions: false)
        case .bodyStructure(let body):
            raw("BODYSTRUCTURE ")
            bodyStructure(body, extensions: true)
        case .modSeq(let n): raw("MODSEQ (\(n))")
        case .encoded(let bytes): raw(bytes)
        case .section(let name, let origin, let data):
            raw(name)
            if let origin { raw("<\(origin)>") }
            space()
            // Message content always goes as a literal (except empty/NIL): clients expect it and it is 8-bit safe.
            if let data {
                if data.isEmpty { raw("\"\"") } else { literal(data) }
            } else {
                raw("NIL")
            }
        }
    }
}

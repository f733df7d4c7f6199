import Foundation
import MailCore
import MailStore

/// POST (RFC 3977 §6.3.1) as an injecting agent (RFC 5537 §3.5): the article is checked, given the
/// fields the injecting agent adds, and stored in each of its groups.
extension BackendNewsStore {
    /// An article injected: refused with a reason, or stored with its message-id and its number in
    /// each group.
    enum Injected {
        case refused(String)
        case stored(messageID: String, numbers: [String: (uidValidity: UInt32, number: UInt32)])
    }

    func post(_ article: [UInt8], user: String, clientAddress: String) async throws -> PostOutcome {
        switch try await inject(article, user: user, clientAddress: clientAddress) {
        case .refused(let reason): .refused(reason)
        case .stored(let id, _): .accepted(messageID: id)
        }
    }

    /// The names in a Newsgroups field body (RFC 5536 §3.1.4: comma-separated, spaces allowed around).
    static func newsgroupNames(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func inject(_ article: [UInt8], user: String, clientAddress: String) async throws -> Injected {
        let parsed = MessageHeader.parse(article)
        let header = parsed.header
        guard parsed.bodyStart <= article.count, header.contains("From"), header.contains("Subject") else {
            return .refused("the article needs From and Subject header fields")
        }
        guard let newsgroups = header.field(named: "Newsgroups")?.value else {
            return .refused("the article has no Newsgroups header field")
        }
        let names = Self.newsgroupNames(newsgroups)
        let known = try await groups.newsgroups()
        let targets = known.filter { names.contains($0.name) }
        guard !targets.isEmpty else { return .refused("no such newsgroup: \(newsgroups)") }
        if let readOnly = targets.first(where: \.readOnly) {
            return .refused("\(readOnly.name) is read-only (posting not permitted)")
        }
        let id: String
        if let given = header.field(named: "Message-ID").map({ Overview.clean($0.unfoldedValue) }) {
            guard (try? NNTPCommandParser.messageID(given[...])) != nil else { return .refused("malformed Message-ID") }
            if try await locate(given) != nil { return .refused("duplicate Message-ID \(given)") }
            id = given
        } else {
            id = "<\(UUID().uuidString.lowercased())@\(serverName)>"
        }
        let now = MessageDate(date: Date()).formatted
        // RFC 5537 §3.5: the injecting agent adds Message-ID and Date if missing, Path with its
        // identity and ".POSTED", Injection-Date, and its own Injection-Info (removing any other).
        var added = ""
        if !header.contains("Message-ID") { added += "Message-ID: \(id)\r\n" }
        if !header.contains("Date") { added += "Date: \(now)\r\n" }
        let path = header.field(named: "Path")?.value
        added += "Path: \(serverName)!.POSTED" + (path.map { "!" + $0 } ?? "!not-for-mail") + "\r\n"
        added += "Injection-Date: \(now)\r\n"
        added += "Injection-Info: \(serverName); posting-account=\"\(user)\"; posting-host=\"\(clientAddress)\"\r\n"
        var stored = Array(added.utf8)
        for field in header
        where !field.hasName("Path") && !field.hasName("Injection-Info")
            && !field.hasName("Injection-Date") && !field.hasName("Xref")
        {
            stored += article[field.range]
        }
        stored += [0x0D, 0x0A]
        stored += article[min(parsed.bodyStart, article.count)...]
        var numbers: [String: (uidValidity: UInt32, number: UInt32)] = [:]
        for group in targets {
            let mailbox = try await groups.openNewsgroup(group.name)
            let number = try await mailbox.append(bytes: stored, flags: [], keywords: [], internalDate: Date())
            numbers[group.name] = (try await mailbox.status().uidValidity, number)
        }
        return .stored(messageID: id, numbers: numbers)
    }
}

/// IHAVE (RFC 3977 §6.3.2) from a configured peer, as a relaying agent (RFC 5537 §3.6): the article is
/// kept as it came, its Path gaining this server's identity, in each of its groups that exists here.
extension BackendNewsStore {
    func transfer(_ article: [UInt8], messageID id: String) async throws -> PostOutcome {
        let parsed = MessageHeader.parse(article)
        let header = parsed.header
        guard header.field(named: "Message-ID").map({ Overview.clean($0.unfoldedValue) }) == id else {
            return .refused("the article's Message-ID is not \(id)")
        }
        let names = Self.newsgroupNames(header.field(named: "Newsgroups")?.value ?? "")
        let targets = try await groups.newsgroups().filter { names.contains($0.name) }
        guard !targets.isEmpty else { return .refused("no newsgroup of the article is carried here") }
        if try await locate(id) != nil { return .refused("duplicate Message-ID \(id)") }
        var stored: [UInt8] = []
        let path = header.field(named: "Path")?.value ?? "not-for-mail"
        stored += Array("Path: \(serverName)!\(path)\r\n".utf8)
        for field in header where !field.hasName("Path") && !field.hasName("Xref") { stored += article[field.range] }
        stored += [0x0D, 0x0A]
        stored += article[min(parsed.bodyStart, article.count)...]
        for group in targets {
            _ = try await groups.openNewsgroup(group.name).append(
                bytes: stored,
                flags: [],
                keywords: [],
                internalDate: Date()
            )
        }
        return .accepted(messageID: id)
    }
}

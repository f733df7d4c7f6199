import Foundation
import MailCore

/// What every message of a merge shares: sender, subject, template, attachments, and which rows to take.
public struct MergeSettings: Sendable {
    /// The envelope sender and the From address.
    public var fromAddress: String
    /// The From display name.
    public var fromName: String?
    /// The subject template (`-s`); the template file's Subject header is used when nil.
    public var subject: String?
    /// Files attached to every message.
    public var attachments: [Attachment]
    /// Most messages to send (rows with a bad address do not count).
    public var limit: Int?
    /// The first data row to take, from 1.
    public var resumeFrom: Int

    /// Creates settings.
    public init(
        fromAddress: String,
        fromName: String? = nil,
        subject: String? = nil,
        attachments: [Attachment] = [],
        limit: Int? = nil,
        resumeFrom: Int = 1
    ) {
        self.fromAddress = fromAddress
        self.fromName = fromName
        self.subject = subject
        self.attachments = attachments
        self.limit = limit
        self.resumeFrom = resumeFrom
    }
}

/// One message ready to go: its row, envelope and RFC 5322 bytes.
public struct PreparedMessage: Sendable, Hashable {
    /// The data row it came from.
    public var row: Int
    /// The row's address (for the report).
    public var address: String
    /// The envelope sender.
    public var sender: String
    /// The envelope recipients: To, Cc and Bcc.
    public var recipients: [String]
    /// The message.
    public var bytes: [UInt8]
    /// Its Message-ID, brackets included.
    public var messageID: String
}

/// A row taken for the merge: a message to send, or a row that cannot be sent and why.
public enum PlannedRow: Sendable, Hashable {
    case message(row: MergeList.Row)
    case invalid(row: MergeList.Row, reason: String)

    /// The row's number.
    public var number: Int {
        switch self {
        case .message(let row), .invalid(let row, _): row.number
        }
    }
}

/// List + template + settings: which rows go, and each row's message.
public struct MergePlan: Sendable {
    /// The recipients, one row each.
    public let list: MergeList
    /// The template each row's message is filled in from.
    public let template: MergeTemplate
    /// The sender, the subject and the other settings that hold for every message.
    public let settings: MergeSettings
    private let subject: CompiledText?

    /// Errors in the plan as a whole.
    public enum Failure: Error, CustomStringConvertible, Hashable {
        case invalidSender(String, reason: String)
        case template(MergeTemplate.Failure)
        /// The template names a field that is no column of the list (`{{naem}}`): every row would go without
        /// it, so nothing goes (as `mailmerge`, whose templates fail on an undefined variable).
        case unknownField(MergeTemplate.FieldUse, row: Int, columns: [String], suggestion: String?)

        /// A message a user can act on.
        public var description: String {
            switch self {
            case .invalidSender(let address, let reason): "the From address \"\(address)\" is not valid: \(reason)"
            case .template(let failure): failure.description
            case .unknownField(let use, let row, let columns, let suggestion):
                "row \(row): \(use.location): \(use.tag) names no column of the list (its columns: "
                    + columns.joined(separator: ", ") + ")"
                    + (suggestion.map { "; did you mean {{\($0)}}?" } ?? "")
            }
        }
    }

    /// Checks the settings and compiles the subject.
    public init(list: MergeList, template: MergeTemplate, settings: MergeSettings) throws(Failure) {
        if let problem = RecipientAddress.problem(with: settings.fromAddress) {
            throw .invalidSender(settings.fromAddress, reason: problem)
        }
        self.list = list
        self.template = template
        self.settings = settings
        do {
            subject = try settings.subject.map { (text) throws(MergeTemplate.Failure) in
                try MergeTemplate.compileLine(text, columns: list.columns, what: "subject")
            }
        } catch {
            throw .template(error)
        }
        let known = Set(list.columns).union(["name", "email"])
        let uses = template.fieldUses + (subject?.fieldUses ?? [])
        if let unknown = uses.first(where: { !known.contains($0.field) }) {
            let firstRow = list.rows.first { $0.number >= settings.resumeFrom }?.number ?? settings.resumeFrom
            throw .unknownField(
                unknown,
                row: firstRow,
                columns: list.columns,
                suggestion: Self.closest(to: unknown.field, among: known.sorted())
            )
        }
    }

    /// The column most like a misspelt name: the same but for case, or at most two edits away.
    static func closest(to name: String, among columns: [String]) -> String? {
        if let same = columns.first(where: { $0.lowercased() == name.lowercased() }) { return same }
        let scored = columns.map { ($0, editDistance(Array(name.lowercased()), Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= min(2, name.count / 2) else { return nil }
        return best.0
    }

    /// Levenshtein distance, adjacent swaps counting one (`naem` → `name`).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }

    /// The rows taken, in order: from `resumeFrom`, until `limit` messages.
    public var rows: [PlannedRow] {
        var planned: [PlannedRow] = []
        var messages = 0
        for row in list.rows where row.number >= settings.resumeFrom {
            if let limit = settings.limit, messages >= limit { break }
            if let problem = row.problem {
                planned.append(.invalid(row: row, reason: problem))
            } else {
                planned.append(.message(row: row))
                messages += 1
            }
        }
        return planned
    }

    /// The template's fields for a row: its columns, with `email` and `name` always there.
    public func fields(for row: MergeList.Row) -> [String: String] {
        var fields = row.fields
        if fields["email"] == nil { fields["email"] = row.address }
        if fields["name"] == nil { fields["name"] = "" }
        return fields
    }

    /// Errors in one row's message.
    public struct RowFailure: Error, Hashable, CustomStringConvertible {
        /// What is wrong with the row's message, in words a user can act on.
        public var reason: String
        /// A message a user can act on.
        public var description: String { reason }
    }

    /// The message for a row, built by MailCore's MessageBuilder, with a fresh Message-ID and `date`.
    public func message(for row: MergeList.Row, date: Date = Date()) throws(RowFailure) -> PreparedMessage {
        let fields = fields(for: row)
        let rendered = template.render(fields)
        var builder = MessageBuilder(from: Mailbox(settings.fromAddress, displayName: settings.fromName))
        let name = fields["name"].flatMap { $0.isEmpty ? nil : $0 }
        builder.to = [.mailbox(Mailbox(row.address, displayName: name))]
        var subjectText = subject?.render(fields)
        for header in rendered.headers {
            let addresses = { Address.parseList(header.value) }
            switch header.name.lowercased() {
            case "to": builder.to = addresses()
            case "cc": builder.cc = addresses()
            case "bcc": builder.bcc = addresses()
            case "reply-to": builder.replyTo = addresses()
            case "from":
                guard let mailbox = addresses().first?.mailboxes.first else {
                    throw RowFailure(reason: "the template's From is not an address: \(header.value)")
                }
                builder.from = mailbox
            case "subject": if subjectText == nil { subjectText = header.value }
            // The builder writes these itself.
            case "date", "message-id", "mime-version", "content-type", "content-transfer-encoding": continue
            default: builder.extraHeaders.append((header.name, EncodedWord.encode(header.value)))
            }
        }
        let recipients = builder.recipients.map(\.address)
        guard !recipients.isEmpty else { throw RowFailure(reason: "the message has no recipient") }
        for address in recipients {
            if let problem = RecipientAddress.problem(with: address) {
                throw RowFailure(reason: "\(address): \(problem)")
            }
        }
        let domain = settings.fromAddress.split(separator: "@").last.map(String.init) ?? "localhost"
        let messageID = "<\(UUID().uuidString.lowercased())@\(domain)>"
        builder.subject = subjectText ?? ""
        builder.date = MessageDate(date: date)
        builder.messageID = messageID
        builder.textBody = rendered.text
        builder.htmlBody = rendered.html
        builder.attachments = settings.attachments + (try attachments(rendered.attachments))
        return PreparedMessage(
            row: row.number,
            address: row.address,
            sender: settings.fromAddress,
            recipients: recipients,
            bytes: builder.build(),
            messageID: messageID
        )
    }

    /// The files the ATTACHMENT headers name for one row, read; paths are relative to the template's folder
    /// and may start with `~`, as `mailmerge` reads them.
    func attachments(_ headers: [MergeTemplate.Header]) throws(RowFailure) -> [Attachment] {
        var files: [Attachment] = []
        for (path, origin) in try attachmentPaths(headers) {
            do {
                files.append(try Attachment(contentsOfFile: path))
            } catch {
                throw RowFailure(
                    reason: "cannot read the attachment \(path) (\(origin)): \((error as NSError).localizedDescription)"
                )
            }
        }
        return files
    }

    /// The files ATTACHMENT headers name, made absolute and checked to be files, each with where it was named.
    func attachmentPaths(_ headers: [MergeTemplate.Header]) throws(RowFailure) -> [(path: String, where: String)] {
        var paths: [(path: String, where: String)] = []
        for header in headers {
            let origin = "ATTACHMENT header, \(template.fileName) line \(header.line)"
            let written = header.value.trimmingCharacters(in: .whitespaces)
            guard !written.isEmpty else { throw RowFailure(reason: "the \(origin) is empty for this row") }
            var path = (written as NSString).expandingTildeInPath
            if !path.hasPrefix("/") {
                path = (template.directory ?? FileManager.default.currentDirectoryPath) + "/" + path
            }
            path = URL(fileURLWithPath: path).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw RowFailure(reason: "attachment not found: \(path) (\(origin))")
            }
            paths.append((path, origin))
        }
        return paths
    }

    /// The rows taken whose ATTACHMENT files cannot be read, with why: checked before a run sends anything.
    public func attachmentProblems(in rows: [PlannedRow]) -> [(row: Int, reason: String)] {
        guard !template.attachments.isEmpty else { return [] }
        var problems: [(row: Int, reason: String)] = []
        for case .message(let row) in rows {
            do {
                _ = try attachmentPaths(template.render(fields(for: row)).attachments)
            } catch {
                problems.append((row.number, error.reason))
            }
        }
        return problems
    }
}

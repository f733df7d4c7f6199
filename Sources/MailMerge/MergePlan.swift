import Foundation

/// What every message of a merge shares: sender, subject, template, attachments, and which rows to take.
public struct MergeSettings: Sendable {
    /// The envelope sender and the From address.
    public var fromAddress: String
    /// The From display name.
    public var fromName: String?
    /// The subject template (`-s`); the template file's Subject header is used when nil.
    public var subject: String?
    /// Files attached to every message.
    public var attachments: [MergeAttachment]
    /// Most messages to send (rows with a bad address do not count).
    public var limit: Int?
    /// The first data row to take, from 1.
    public var resumeFrom: Int

    /// Creates settings.
    public init(
        fromAddress: String, fromName: String? = nil, subject: String? = nil, attachments: [MergeAttachment] = [],
        limit: Int? = nil, resumeFrom: Int = 1
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
    public let list: MergeList
    public let template: MergeTemplate
    public let settings: MergeSettings
    private let subject: CompiledText?

    /// Errors in the plan as a whole.
    public enum Failure: Error, CustomStringConvertible, Hashable {
        case invalidSender(String, reason: String)
        case template(MergeTemplate.Failure)

        public var description: String {
            switch self {
            case .invalidSender(let address, let reason): "the From address \"\(address)\" is not valid: \(reason)"
            case .template(let failure): failure.description
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
        public var reason: String
        public var description: String { reason }
    }

    /// The message for a row, with a fresh Message-ID and the current date.
    public func message(for row: MergeList.Row, date: Date = Date()) throws(RowFailure) -> PreparedMessage {
        let fields = fields(for: row)
        let rendered = template.render(fields)
        var composer = MessageComposer()
        var recipients: [String] = []
        var extra: [(String, String)] = []
        var from = HeaderEncoding.mailbox(name: settings.fromName, address: settings.fromAddress)
        var to = HeaderEncoding.mailbox(name: fields["name"], address: row.address)
        var toFromTemplate = false
        var subjectText = subject?.render(fields)
        var cc: String?
        for header in rendered.headers {
            switch header.name.lowercased() {
            case "to":
                let list = HeaderEncoding.addressList(header.value)
                to = list.header
                recipients += list.addresses
                toFromTemplate = true
            case "from": from = HeaderEncoding.addressList(header.value).header
            case "subject": if subjectText == nil { subjectText = header.value }
            case "cc":
                let list = HeaderEncoding.addressList(header.value)
                cc = list.header
                recipients += list.addresses
            case "bcc": recipients += HeaderEncoding.addressList(header.value).addresses
            case "reply-to": extra.append(("Reply-To", HeaderEncoding.addressList(header.value).header))
            case "date", "message-id": continue
            default: extra.append((header.name, HeaderEncoding.unstructured(header.value)))
            }
        }
        if !toFromTemplate { recipients.insert(row.address, at: 0) }
        recipients = recipients.filter { !$0.isEmpty }
        guard !recipients.isEmpty else { throw RowFailure(reason: "the message has no recipient") }
        for address in recipients {
            if let problem = RecipientAddress.problem(with: address) {
                throw RowFailure(reason: "\(address): \(problem)")
            }
        }
        let domain = settings.fromAddress.split(separator: "@").last.map(String.init) ?? ""
        let messageID = MessageComposer.messageID(domain: domain)
        composer.headers.append(("From", from))
        composer.headers.append(("To", to))
        if let cc { composer.headers.append(("Cc", cc)) }
        composer.headers.append(("Subject", HeaderEncoding.unstructured(subjectText ?? "")))
        composer.headers.append(("Date", MessageComposer.dateHeader(date)))
        composer.headers.append(("Message-ID", messageID))
        for (name, value) in extra { composer.headers.append((name, value)) }
        composer.text = rendered.text
        composer.html = rendered.html
        composer.attachments = settings.attachments
        return PreparedMessage(
            row: row.number, address: row.address, sender: settings.fromAddress,
            recipients: recipients, bytes: composer.bytes(), messageID: messageID
        )
    }
}

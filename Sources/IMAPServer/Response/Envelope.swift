/// `envelope` (RFC 3501 §7.4.2): header fields as sent (nstring: nil when the header is absent).
public struct Envelope: Sendable, Equatable {
    public var date: [UInt8]?
    public var subject: [UInt8]?
    public var from: [EnvelopeAddress]
    public var sender: [EnvelopeAddress]
    public var replyTo: [EnvelopeAddress]
    public var to: [EnvelopeAddress]
    public var cc: [EnvelopeAddress]
    public var bcc: [EnvelopeAddress]
    public var inReplyTo: [UInt8]?
    public var messageID: [UInt8]?

    public init(
        date: [UInt8]? = nil, subject: [UInt8]? = nil, from: [EnvelopeAddress] = [], sender: [EnvelopeAddress] = [],
        replyTo: [EnvelopeAddress] = [], to: [EnvelopeAddress] = [], cc: [EnvelopeAddress] = [],
        bcc: [EnvelopeAddress] = [], inReplyTo: [UInt8]? = nil, messageID: [UInt8]? = nil
    ) {
        self.date = date
        self.subject = subject
        self.from = from
        self.sender = sender
        self.replyTo = replyTo
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.inReplyTo = inReplyTo
        self.messageID = messageID
    }
}

/// `address` = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")". A group is a start
/// marker (mailbox = group name, host NIL) then its members then an end marker (all NIL).
public struct EnvelopeAddress: Sendable, Equatable {
    public var name: [UInt8]?
    public var adl: [UInt8]?
    public var mailbox: [UInt8]?
    public var host: [UInt8]?

    public init(name: [UInt8]?, adl: [UInt8]? = nil, mailbox: [UInt8]?, host: [UInt8]?) {
        self.name = name
        self.adl = adl
        self.mailbox = mailbox
        self.host = host
    }
}

/// `body` (RFC 3501 §7.4.2): the MIME structure as BODY and BODYSTRUCTURE describe it.
public indirect enum BodyStructure: Sendable, Equatable {
    case singlepart(SinglePart)
    case multipart(Multipart)

    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]
        public init(_ name: String, _ value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    public struct Disposition: Sendable, Equatable {
        public var type: String
        public var parameters: [Parameter]
        public init(type: String, parameters: [Parameter]) {
            self.type = type
            self.parameters = parameters
        }
    }

    /// Extension data shared by both kinds (`body-fld-dsp`, `body-fld-lang`, `body-fld-loc`).
    public struct Extension: Sendable, Equatable {
        public var disposition: Disposition?
        public var language: [[UInt8]]?
        public var location: [UInt8]?
        public init(disposition: Disposition? = nil, language: [[UInt8]]? = nil, location: [UInt8]? = nil) {
            self.disposition = disposition
            self.language = language
            self.location = location
        }
    }

    public struct SinglePart: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case basic
            /// `text/*`: adds `body-fld-lines`.
            case text(lines: Int)
            /// `message/rfc822`: adds the encapsulated envelope, body and line count.
            case message(Envelope, BodyStructure, lines: Int)
        }
        public var type: String
        public var subtype: String
        public var parameters: [Parameter]
        public var id: [UInt8]?
        public var description: [UInt8]?
        public var encoding: String
        public var size: Int
        public var kind: Kind
        public var md5: [UInt8]?
        public var ext: Extension

        public init(
            type: String, subtype: String, parameters: [Parameter] = [], id: [UInt8]? = nil,
            description: [UInt8]? = nil, encoding: String = "7BIT", size: Int, kind: Kind = .basic,
            md5: [UInt8]? = nil, ext: Extension = Extension()
        ) {
            self.type = type
            self.subtype = subtype
            self.parameters = parameters
            self.id = id
            self.description = description
            self.encoding = encoding
            self.size = size
            self.kind = kind
            self.md5 = md5
            self.ext = ext
        }
    }

    public struct Multipart: Sendable, Equatable {
        public var parts: [BodyStructure]
        public var subtype: String
        public var parameters: [Parameter]
        public var ext: Extension
        public init(parts: [BodyStructure], subtype: String, parameters: [Parameter] = [], ext: Extension = Extension()) {
            self.parts = parts
            self.subtype = subtype
            self.parameters = parameters
            self.ext = ext
        }
    }
}

/// `envelope` (RFC 3501 §7.4.2): header fields as sent (nstring: nil when the header is absent).
public struct Envelope: Sendable, Equatable {
    /// The Date header field; nil when absent.
    public var date: [UInt8]?
    /// The Subject header field; nil when absent.
    public var subject: [UInt8]?
    /// The From addresses.
    public var from: [EnvelopeAddress]
    /// The Sender addresses (From's when the field is absent, RFC 3501 §7.4.2).
    public var sender: [EnvelopeAddress]
    /// The Reply-To addresses (From's when the field is absent).
    public var replyTo: [EnvelopeAddress]
    /// The To addresses.
    public var to: [EnvelopeAddress]
    /// The Cc addresses.
    public var cc: [EnvelopeAddress]
    /// The Bcc addresses.
    public var bcc: [EnvelopeAddress]
    /// The In-Reply-To header field; nil when absent.
    public var inReplyTo: [UInt8]?
    /// The Message-ID header field; nil when absent.
    public var messageID: [UInt8]?

    /// An envelope; every field absent unless given.
    public init(
        date: [UInt8]? = nil,
        subject: [UInt8]? = nil,
        from: [EnvelopeAddress] = [],
        sender: [EnvelopeAddress] = [],
        replyTo: [EnvelopeAddress] = [],
        to: [EnvelopeAddress] = [],
        cc: [EnvelopeAddress] = [],
        bcc: [EnvelopeAddress] = [],
        inReplyTo: [UInt8]? = nil,
        messageID: [UInt8]? = nil
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

/// One address of an envelope field, or a group marker (RFC 3501 §7.4.2 `address`).
///
/// `address` = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")". A group is a start
/// marker (mailbox = group name, host NIL) then its members then an end marker (all NIL).
public struct EnvelopeAddress: Sendable, Equatable {
    /// The display name (`addr-name`); nil when there is none.
    public var name: [UInt8]?
    /// The source route (`addr-adl`, RFC 5322 obs-route); nil when there is none.
    public var adl: [UInt8]?
    /// The local part (`addr-mailbox`), or the group name in a group's start marker.
    public var mailbox: [UInt8]?
    /// The domain (`addr-host`); nil in a group's markers.
    public var host: [UInt8]?

    /// An address with these parts.
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

    /// One `body-fld-param` attribute and value.
    public struct Parameter: Sendable, Equatable {
        /// The attribute name.
        public var name: String
        /// The value, decoded from RFC 2231 continuations and charsets.
        public var value: [UInt8]
        /// An attribute and its value.
        public init(_ name: String, _ value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    /// Content-Disposition (`body-fld-dsp`): its type and parameters.
    public struct Disposition: Sendable, Equatable {
        /// The disposition type, such as `attachment`.
        public var type: String
        /// The disposition's parameters.
        public var parameters: [Parameter]
        /// A disposition with its parameters.
        public init(type: String, parameters: [Parameter]) {
            self.type = type
            self.parameters = parameters
        }
    }

    /// Extension data shared by both kinds (`body-fld-dsp`, `body-fld-lang`, `body-fld-loc`).
    public struct Extension: Sendable, Equatable {
        /// Content-Disposition; nil when absent.
        public var disposition: Disposition?
        /// Content-Language (`body-fld-lang`); nil when absent.
        public var language: [[UInt8]]?
        /// Content-Location (`body-fld-loc`); nil when absent.
        public var location: [UInt8]?
        /// Extension data; each field absent unless given.
        public init(disposition: Disposition? = nil, language: [[UInt8]]? = nil, location: [UInt8]? = nil) {
            self.disposition = disposition
            self.language = language
            self.location = location
        }
    }

    /// A single (non-multipart) body part (`body-type-1part`).
    public struct SinglePart: Sendable, Equatable {
        /// What a part adds to the basic fields: nothing, text lines, or an encapsulated message.
        public enum Kind: Sendable, Equatable {
            case basic
            /// `text/*`: adds `body-fld-lines`.
            case text(lines: Int)
            /// `message/rfc822`: adds the encapsulated envelope, body and line count.
            case message(Envelope, BodyStructure, lines: Int)
        }
        /// The media type, such as `TEXT`.
        public var type: String
        /// The media subtype, such as `PLAIN`.
        public var subtype: String
        /// The Content-Type parameters.
        public var parameters: [Parameter]
        /// Content-ID; nil when absent.
        public var id: [UInt8]?
        /// Content-Description; nil when absent.
        public var description: [UInt8]?
        /// Content-Transfer-Encoding, `7BIT` when absent.
        public var encoding: String
        /// The body's size in octets, as transferred.
        public var size: Int
        /// What this kind of part adds (text lines, an encapsulated message).
        public var kind: Kind
        /// Content-MD5; nil when absent.
        public var md5: [UInt8]?
        /// The extension data (BODYSTRUCTURE only).
        public var ext: Extension

        /// A single part with these fields.
        public init(
            type: String,
            subtype: String,
            parameters: [Parameter] = [],
            id: [UInt8]? = nil,
            description: [UInt8]? = nil,
            encoding: String = "7BIT",
            size: Int,
            kind: Kind = .basic,
            md5: [UInt8]? = nil,
            ext: Extension = Extension()
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

    /// A multipart body (`body-type-mpart`).
    public struct Multipart: Sendable, Equatable {
        /// The parts, in order.
        public var parts: [BodyStructure]
        /// The multipart subtype, such as `MIXED`.
        public var subtype: String
        /// The Content-Type parameters, such as the boundary.
        public var parameters: [Parameter]
        /// The extension data (BODYSTRUCTURE only).
        public var ext: Extension
        /// A multipart body with these parts and fields.
        public init(parts: [BodyStructure], subtype: String, parameters: [Parameter] = [], ext: Extension = Extension())
        {
            self.parts = parts
            self.subtype = subtype
            self.parameters = parameters
            self.ext = ext
        }
    }
}

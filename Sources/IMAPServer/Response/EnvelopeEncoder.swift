extension ResponseWriter {
    // envelope = "(" env-date SP env-subject SP env-from SP env-sender SP env-reply-to SP env-to SP
    //            env-cc SP env-bcc SP env-in-reply-to SP env-message-id ")"      (RFC 3501 §9)
    mutating func envelope(_ e: Envelope) {
        raw("(")
        nstring(e.date)
        space()
        nstring(e.subject)
        for addresses in [e.from, e.sender, e.replyTo, e.to, e.cc, e.bcc] {
            space()
            addressList(addresses)
        }
        space()
        nstring(e.inReplyTo)
        space()
        nstring(e.messageID)
        raw(")")
    }

    // env-from = "(" 1*address ")" / nil
    mutating func addressList(_ addresses: [EnvelopeAddress]) {
        guard !addresses.isEmpty else { return raw("NIL") }
        raw("(")
        for a in addresses {
            // address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"
            raw("(")
            nstring(a.name)
            space()
            nstring(a.adl)
            space()
            nstring(a.mailbox)
            space()
            nstring(a.host)
            raw(")")
        }
        raw(")")
    }

    // body = "(" (body-type-1part / body-type-mpart) ")"
    mutating func bodyStructure(_ body: BodyStructure, extensions: Bool) {
        raw("(")
        switch body {
        case .multipart(let m):
            // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
            for part in m.parts { bodyStructure(part, extensions: extensions) }
            space()
            string(m.subtype)
            if extensions {
                // body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
                space()
                parameters(m.parameters)
                bodyExtension(m.ext)
            }
        case .singlepart(let p):
            // body-type-basic = media-basic SP body-fields ; body-type-text adds SP body-fld-lines;
            // body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
            string(p.type)
            space()
            string(p.subtype)
            space()
            // body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets
            parameters(p.parameters)
            space()
            nstring(p.id)
            space()
            nstring(p.description)
            space()
            string(p.encoding)
            raw(" \(p.size)")
            switch p.kind {
            case .basic: break
            case .text(let lines): raw(" \(lines)")
            case .message(let envelope, let inner, let lines):
                space()
                self.envelope(envelope)
                space()
                bodyStructure(inner, extensions: extensions)
                raw(" \(lines)")
            }
            if extensions {
                // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
                space()
                nstring(p.md5)
                bodyExtension(p.ext)
            }
        }
        raw(")")
    }

    // body-fld-param = "(" string SP string *(SP string SP string) ")" / nil
    mutating func parameters(_ parameters: [BodyStructure.Parameter]) {
        guard !parameters.isEmpty else { return raw("NIL") }
        list(parameters) { w, p in
            w.string(p.name)
            w.space()
            w.string(p.value)
        }
    }

    // SP body-fld-dsp SP body-fld-lang SP body-fld-loc, always all three (as Dovecot and Cyrus send them)
    // body-fld-dsp = "(" string SP body-fld-param ")" / nil
    // body-fld-lang = nstring / "(" string *(SP string) ")"
    mutating func bodyExtension(_ ext: BodyStructure.Extension) {
        space()
        if let d = ext.disposition {
            raw("(")
            string(d.type)
            space()
            parameters(d.parameters)
            raw(")")
        } else {
            raw("NIL")
        }
        space()
        switch ext.language {
        case .none: raw("NIL")
        case .some(let tags) where tags.isEmpty: raw("NIL")
        case .some(let tags) where tags.count == 1: string(tags[0])
        case .some(let tags): list(tags) { $0.string($1) }
        }
        space()
        nstring(ext.location)
    }
}

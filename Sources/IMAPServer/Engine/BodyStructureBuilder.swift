import MailCore

/// Builds BODY / BODYSTRUCTURE (RFC 3501 §7.4.2) from MailCore's MIME tree.
///
/// Sizes and line counts are of the CRLF form the client fetches; parameters are as the MIME header has them.
enum BodyStructureBuilder {
    static func structure(_ part: MIMEPart) -> BodyStructure {
        let contentType = part.contentType
        let ext = BodyStructure.Extension(
            disposition: part.contentDisposition.map {
                BodyStructure.Disposition(type: $0.type, parameters: parameters($0.parameters))
            },
            language: part.contentLanguage.isEmpty ? nil : part.contentLanguage.map { Array($0.utf8) },
            location: part.contentLocation.map { Array($0.utf8) }
        )
        if part.isMultipart {
            return .multipart(
                .init(
                    parts: part.children.map(structure),
                    subtype: contentType.subtype,
                    parameters: parameters(contentType.parameters),
                    ext: ext
                )
            )
        }
        let size = part.bodySize + part.bareLineFeedCount
        let kind: BodyStructure.SinglePart.Kind
        if let inner = part.encapsulatedMessage {
            kind = .message(EnvelopeBuilder.envelope(inner.header), structure(inner), lines: part.bodyLineCount)
        } else if contentType.isText {
            kind = .text(lines: part.bodyLineCount)
        } else {
            kind = .basic
        }
        var params = parameters(contentType.parameters)
        // RFC 2045 §5.2: a text part without a charset is us-ascii, whether or not it has a Content-Type
        // field; clients rely on seeing it. Like Dovecot, only a parameter named exactly "charset"
        // counts: an RFC 2231 `charset*` is sent as it is, followed by the default.
        if contentType.isText, !params.contains(where: { $0.name.lowercased() == "charset" }) {
            params.append(.init("charset", Array("us-ascii".utf8)))
        }
        return .singlepart(
            .init(
                type: contentType.type,
                subtype: contentType.subtype,
                parameters: params,
                id: part.header.field(named: "Content-ID")?.unfoldedValue,
                description: part.header.field(named: "Content-Description")?.unfoldedValue,
                encoding: part.contentTransferEncoding.name,
                size: size,
                kind: kind,
                md5: part.header.field(named: "Content-MD5")?.unfoldedValue,
                ext: ext
            )
        )
    }

    /// RFC 3501 7.4.2: the parameters as the MIME header has them; RFC 2231 values stay in their
    /// `name*` / `charset'language'%XX` form (continuations joined), so the client keeps the charset
    /// and language and gets no 8-bit text the header did not have.
    private static func parameters(_ parameters: MIMEParameters) -> [BodyStructure.Parameter] {
        parameters.rawOrEncoded.map { BodyStructure.Parameter($0.name, $0.value) }
    }
}

extension MIMEPart {
    /// The part at an IMAP section path (RFC 3501 6.4.5 / RFC 9051 6.4.5): `[1, 2]` for BODY[1.2].
    ///
    /// Call on the message's root part. Each number picks a body part of the multipart at hand;
    /// in a message that is not multipart, part 1 is its body (the part itself). After a
    /// message/rfc822 part, numbering continues in the encapsulated message the same way.
    /// An empty path is the root. Returns nil when there is no such part.
    public func part(at section: [Int]) -> MIMEPart? {
        var current = self
        for (position, number) in section.enumerated() {
            guard number >= 1 else { return nil }
            // The container whose parts this number counts: the message itself at the top, the
            // encapsulated message after a message/rfc822 part.
            var container = current
            if position > 0 {
                if let message = current.encapsulatedMessage {
                    container = message
                } else if !current.isMultipart {
                    return nil
                }
            }
            if container.isMultipart {
                guard number <= container.children.count else { return nil }
                current = container.children[number - 1]
            } else {
                guard number == 1 else { return nil }
                current = container
            }
        }
        return current
    }
}

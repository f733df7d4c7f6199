import MailStore

extension MailStoreExecutor {
    // RFC 3501 §6.3.8 LIST with RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE, RFC 5819 LIST-STATUS.
    func list(_ list: ListCommand, request: ExecutionRequest, sink: ResponseSink) async throws -> CommandOutcome {
        let tag = request.tag
        if list.patterns == [""] {
            // An empty pattern asks for the hierarchy delimiter (RFC 3501 §6.3.8).
            return CommandOutcome(responses: [
                .untagged(
                    .list(
                        ListEntry(
                            attributes: ["\\Noselect"],
                            delimiter: String(Self.delimiter),
                            name: IMAPMailboxName("")
                        )
                    )
                ),
                .ok(tag, "LIST completed"),
            ])
        }
        let onlySubscribed = list.selection.contains(.subscribed)
        let onlySpecialUse = list.selection.contains(.specialUse)
        let showSubscribed = onlySubscribed || list.returnOptions.contains(.subscribed)
        var statusAttributes: [StatusAttribute]?
        for case .status(let attributes) in list.returnOptions { statusAttributes = attributes }
        let patterns = list.patterns.filter { !$0.isEmpty }.map { Self.canonicalPattern(reference: list.reference, $0) }

        var responses: [IMAPResponse] = []
        let mailboxes = try await folders.listMailboxes(user: request.user)
        for info in mailboxes {
            let name = Self.imapName(info.name)
            guard patterns.contains(where: { Self.matches(name.name, pattern: $0) }) else { continue }
            if onlySubscribed && !info.subscribed { continue }
            if onlySpecialUse && info.specialUse == nil { continue }
            var attributes = [info.hasChildren ? "\\HasChildren" : "\\HasNoChildren"]
            if showSubscribed && info.subscribed { attributes.append("\\Subscribed") }
            if let use = info.specialUse { attributes.append(Self.attribute(for: use)) }
            responses.append(
                .untagged(.list(ListEntry(attributes: attributes, delimiter: String(Self.delimiter), name: name)))
            )
            if let statusAttributes,
                let values = try? await statusValues(name, statusAttributes, user: request.user)
            {
                responses.append(.untagged(.status(name, values)))
            }
        }
        if onlySubscribed && !onlySpecialUse {
            // RFC 5258 3.1: the subscribed names, those without a mailbox too, marked \NonExistent.
            for missing in try await subscribedWithoutMailbox(user: request.user, mailboxes: mailboxes) {
                let name = Self.imapName(missing)
                guard patterns.contains(where: { Self.matches(name.name, pattern: $0) }) else { continue }
                let attributes = ["\\NonExistent", "\\Subscribed"]
                responses.append(
                    .untagged(.list(ListEntry(attributes: attributes, delimiter: String(Self.delimiter), name: name)))
                )
            }
        }
        let newsSubscribed = try await newsSubscriptions(user: request.user)
        let news = try await newsListEntries(
            patterns: patterns,
            subscribed: newsSubscribed,
            onlySubscribed: onlySubscribed,
            showSubscribed: showSubscribed
        )
        for (entry, attributes) in news where !onlySpecialUse {
            responses.append(
                .untagged(
                    .list(ListEntry(attributes: attributes, delimiter: NewsNamespace.delimiter, name: entry.name))
                )
            )
            if let statusAttributes, entry.group != nil,
                let values = try? await statusValues(entry.name, statusAttributes, user: request.user)
            {
                responses.append(.untagged(.status(entry.name, values)))
            }
        }
        await sink.send(responses)
        let updates = try await updates(allowExpunge: true, condStore: request.condStore)
        return CommandOutcome(responses: updates + [.ok(tag, "LIST completed")])
    }

    // RFC 3501 §6.3.9 LSUB: subscribed mailboxes matching the pattern.
    func lsub(
        _ reference: IMAPMailboxName,
        _ pattern: String,
        request: ExecutionRequest,
        sink: ResponseSink
    ) async throws
        -> CommandOutcome
    {
        let canonical = Self.canonicalPattern(reference: reference.name, pattern)
        var responses: [IMAPResponse] = []
        let mailboxes = try await folders.listMailboxes(user: request.user)
        for info in mailboxes where info.subscribed {
            let name = Self.imapName(info.name)
            guard Self.matches(name.name, pattern: canonical) else { continue }
            var attributes: [String] = []
            if let use = info.specialUse { attributes.append(Self.attribute(for: use)) }
            responses.append(
                .untagged(.lsub(ListEntry(attributes: attributes, delimiter: String(Self.delimiter), name: name)))
            )
        }
        // A subscribed name whose mailbox is gone (or not yet made) is still listed, as not selectable.
        for missing in try await subscribedWithoutMailbox(user: request.user, mailboxes: mailboxes) {
            let name = Self.imapName(missing)
            guard Self.matches(name.name, pattern: canonical) else { continue }
            responses.append(
                .untagged(.lsub(ListEntry(attributes: ["\\Noselect"], delimiter: String(Self.delimiter), name: name)))
            )
        }
        let delimiter = Character(NewsNamespace.delimiter)
        for group in try await newsSubscriptions(user: request.user).sorted() {
            let name = NewsNamespace.imapName(group: group)
            guard Self.matches(name.name, pattern: canonical, delimiter: delimiter) else { continue }
            responses.append(
                .untagged(.lsub(ListEntry(attributes: [], delimiter: NewsNamespace.delimiter, name: name)))
            )
        }
        await sink.send(responses)
        return CommandOutcome(responses: [.ok(request.tag, "LSUB completed")])
    }

    /// The user's subscribed names that have no mailbox (RFC 3501 6.3.6: a subscription outlives its
    /// mailbox, and may come before it); the `#news.` groups' subscriptions are listed on their own.
    func subscribedWithoutMailbox(user: String, mailboxes: [MailboxInfo]) async throws -> [MailboxName] {
        let existing = Set(mailboxes.map(\.name))
        return try await folders.subscriptions(user: user).filter {
            !existing.contains($0) && NewsNamespace.group(subscriptionLevels: $0.components) == nil
        }
    }

    static func attribute(for use: SpecialUse) -> String {
        "\\" + use.rawValue.trimmingPrefix("\\")
    }

    /// Reference and pattern joined (RFC 3501 §6.3.8 leaves the rule to the server; this is the usual one).
    ///
    /// A reference in the `#news` space joins with that namespace's delimiter, ".".
    static func canonicalPattern(reference: String, _ pattern: String) -> String {
        let delimiter = reference.hasPrefix(NewsNamespace.root) ? NewsNamespace.delimiter : String(delimiter)
        if reference.isEmpty || pattern.hasPrefix(delimiter) || pattern.hasPrefix(NewsNamespace.root) {
            return pattern
        }
        return reference.hasSuffix(delimiter) ? reference + pattern : reference + delimiter + pattern
    }

    /// `*` matches anything, `%` anything but the delimiter (the personal one unless told); INBOX
    /// matches in any case.
    static func matches(_ name: String, pattern: String, delimiter: Character = MailStoreExecutor.delimiter) -> Bool {
        let name = Array(name)
        var pattern = Array(pattern)
        if pattern.count >= 5, String(pattern[0..<5]).uppercased() == "INBOX",
            pattern.count == 5 || pattern[5] == delimiter
        {
            pattern.replaceSubrange(0..<5, with: Array("INBOX"))
        }
        var memo: [Int: Bool] = [:]
        func match(_ i: Int, _ j: Int) -> Bool {
            let key = i * (pattern.count + 1) + j
            if let known = memo[key] { return known }
            let result: Bool
            if j == pattern.count {
                result = i == name.count
            } else if pattern[j] == "*" {
                result = match(i, j + 1) || (i < name.count && match(i + 1, j))
            } else if pattern[j] == "%" {
                result = match(i, j + 1) || (i < name.count && name[i] != delimiter && match(i + 1, j))
            } else {
                result = i < name.count && name[i] == pattern[j] && match(i + 1, j + 1)
            }
            memo[key] = result
            return result
        }
        return match(0, 0)
    }
}

import Foundation
import HTTPServer
import NIOHTTP1

/// `POST /api/messages/{id}/release`: a captured message sent on through the relay to allowed addresses.
extension DevAPI {
    /// The most addresses one release takes.
    static let maximumReleaseRecipients = 100

    static func addReleaseRoute(to router: inout HTTPRouter, messages: DevMessages, release: DevRelease?) {
        router.route(.POST, "/api/messages/{id}/release") { request in
            await answering {
                let id = request.parameters["id"] ?? ""
                let asked = try releaseRecipients(request.body)
                guard let found = try await messages.message(id) else { throw DevAPIError.noMessage(id) }
                let summary = found.summary
                let recipients =
                    asked ?? summary.envelope?.recipients ?? (summary.to + summary.cc).map(\.address)
                guard let release, !release.allow.isEmpty else {
                    throw DevAPIError(
                        .forbidden,
                        "release is off: start correo --dev with --dev-release-allow PATTERN (e.g. '*@example.com')"
                    )
                }
                guard !recipients.isEmpty else {
                    throw DevAPIError(.badRequest, "message \(id) has no recipients: give them as {\"to\": [...]}")
                }
                if let refused = recipients.first(where: { !release.allows($0) }) {
                    throw DevAPIError(
                        .forbidden,
                        "\(refused) is not on the release allow-list (\(release.allow.joined(separator: ", ")))"
                    )
                }
                let sender = summary.envelope?.sender ?? summary.from.first?.address ?? ""
                let queueID = try await release.release(found.parsed.bytes, sender: sender, recipients: recipients)
                return json(Released(queued: [queueID], to: recipients, sender: sender), status: .accepted)
            }
        }
    }

    /// What a release answers: the queue ids (see `correo queue list`), the recipients, the MAIL FROM.
    struct Released: Codable {
        var queued: [String]
        var to: [String]
        var sender: String
    }

    /// The body's `{"to": [...]}`; nil for an empty body (the message's own recipients).
    static func releaseRecipients(_ body: [UInt8]) throws -> [String]? {
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) else { return nil }
        let usage = "the body is {\"to\": [\"someone@example.com\", ...]} (1 to \(maximumReleaseRecipients) addresses)"
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            object.keys.allSatisfy({ $0 == "to" })
        else { throw DevAPIError(.badRequest, usage) }
        guard let value = object["to"] else { return nil }
        guard let list = value as? [Any], (1...maximumReleaseRecipients).contains(list.count) else {
            throw DevAPIError(.badRequest, usage)
        }
        return try list.map { item in
            // NSNumber and NSString bridge loosely: only a real string is an address.
            guard let address = item as? String, !(item is NSNumber), isReleaseAddress(address) else {
                throw DevAPIError(.badRequest, "\(item) is not an address: \(usage)")
            }
            return address
        }
    }

    /// `local@domain` in printable ASCII without `"`, `<`, `>` or a second `@`: the pattern of the
    /// OpenAPI document's `ReleaseAddress`, checked byte for byte the same way.
    static func isReleaseAddress(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, bytes.filter({ $0 == 0x40 }).count == 1,
            let at = bytes.firstIndex(of: 0x40), at > 0, at < bytes.count - 1
        else { return false }
        return bytes.allSatisfy { $0 == 0x40 || ($0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x3C && $0 != 0x3E) }
    }
}

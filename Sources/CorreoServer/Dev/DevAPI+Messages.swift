import Foundation
import HTTPServer
import NIOHTTP1

/// `/api/messages`: list (newest first, paged, filtered), one message parsed or raw, an attachment,
/// deletion of one or all.
extension DevAPI {
    /// The largest page `limit` allows.
    static let maximumPage = 1000

    static func addMessageRoutes(to router: inout HTTPRouter, messages: DevMessages) {
        router.get("/api/messages") { request in
            await answering {
                let query = DevQuery(request.query)
                let filter = try query.filter()
                let start = try query.number("start", default: 0, in: 0...Int(Int32.max))
                let limit = try query.number("limit", default: 50, in: 1...maximumPage)
                let all = try await messages.list(filter)
                let page = Array(all.dropFirst(start).prefix(limit))
                return json(DevMessagePage(total: all.count, start: start, count: page.count, messages: page))
            }
        }
        router.route(.DELETE, "/api/messages") { _ in
            await answering {
                let deleted = try await messages.deleteAll()
                return json(["deleted": deleted])
            }
        }
        router.route(.GET, "/api/messages/{id}") { request in
            await answering {
                let id = request.parameters["id"] ?? ""
                guard let found = try await messages.message(id) else { throw DevAPIError.noMessage(id) }
                return json(found.parsed.detail(summary: found.summary))
            }
        }
        router.route(.DELETE, "/api/messages/{id}") { request in
            await answering {
                let id = request.parameters["id"] ?? ""
                guard try await messages.delete(id) else { throw DevAPIError.noMessage(id) }
                return json(["deleted": 1])
            }
        }
        router.route(.GET, "/api/messages/{id}/raw") { request in
            await answering {
                let id = request.parameters["id"] ?? ""
                guard let parsed = try await messages.message(id)?.parsed else { throw DevAPIError.noMessage(id) }
                var response = HTTPResponse(contentType: "message/rfc822", body: parsed.bytes)
                response.headers.add(name: "Content-Disposition", value: "attachment; filename=\"message-\(id).eml\"")
                return response
            }
        }
        router.route(.GET, "/api/messages/{id}/attachments/{index}") { request in
            await answering {
                let id = request.parameters["id"] ?? ""
                guard let parsed = try await messages.message(id)?.parsed else { throw DevAPIError.noMessage(id) }
                let text = request.parameters["index"] ?? ""
                guard let index = Int(text), parsed.attachmentParts.indices.contains(index) else {
                    throw DevAPIError(
                        .notFound,
                        "message \(id) has no attachment \(text.debugDescription) (it has \(parsed.attachmentParts.count), from 0)"
                    )
                }
                let part = parsed.attachmentParts[index]
                var response = HTTPResponse(
                    contentType: part.contentType.mimeType,
                    body: part.decodedBody(in: parsed.bytes)
                )
                // Downloaded, never shown inline: an attachment is the sender's content, not this site's.
                let name = (part.filename ?? "attachment-\(index)").filter {
                    $0.isASCII && $0 != "\"" && $0 != "\\" && !$0.isNewline
                }
                response.headers.add(name: "Content-Disposition", value: "attachment; filename=\"\(name)\"")
                response.headers.add(name: "X-Content-Type-Options", value: "nosniff")
                return response
            }
        }
    }
}

/// One page of the list.
struct DevMessagePage: Codable, Sendable {
    /// Messages matching the filter in all.
    var total: Int
    /// The offset of the first one here.
    var start: Int
    /// How many are here.
    var count: Int
    var messages: [DevMessageSummary]
}

import Foundation
import HTTPServer
import NIOHTTP1
import SMTPServer

/// The HTTP side of `serve --dev`: the JSON API under /api/ (one file per resource), its OpenAPI
/// document, and the web page, added to the operator's router.
public enum DevAPI {
    /// Adds every route of the API and the web page to `router`; without `release`, releasing is refused.
    public static func addRoutes(
        to router: inout HTTPRouter,
        messages: DevMessages,
        faults: SMTPFaultScript = SMTPFaultScript(),
        release: DevRelease? = nil
    ) {
        addMessageRoutes(to: &router, messages: messages)
        addReleaseRoute(to: &router, messages: messages, release: release)
        addFaultRoutes(to: &router, faults: faults)
        addWaitRoute(to: &router, messages: messages)
        addEventRoute(to: &router, messages: messages)
        router.get("/api/openapi.json") { _ in
            HTTPResponse(contentType: "application/json", body: Array(DevOpenAPI.document.utf8))
        }
        DevWebPage.addRoutes(to: &router, messages: messages)
    }

    /// `value` as a JSON response.
    static func json(_ value: some Encodable, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return DevAPIError(.internalServerError, "the answer could not be written as JSON").response
        }
        return HTTPResponse(status: status, contentType: "application/json", body: Array(data))
    }

    /// Runs `body`; a `DevAPIError` becomes its JSON answer, any other error a 500 that says what failed.
    static func answering(_ body: () async throws -> HTTPResponse) async -> HTTPResponse {
        do {
            return try await body()
        } catch let error as DevAPIError {
            return error.response
        } catch {
            return DevAPIError(.internalServerError, "the store failed: \(error)").response
        }
    }
}

/// An API error: its status and a message for the developer, answered as `{"error": "…"}`.
struct DevAPIError: Error {
    let status: HTTPResponseStatus
    let message: String

    init(_ status: HTTPResponseStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// No message has this id.
    static func noMessage(_ id: String) -> DevAPIError {
        DevAPIError(.notFound, "no message with id \(id.debugDescription): ids are the numbers /api/messages lists")
    }

    var response: HTTPResponse {
        DevAPI.json(["error": message, "status": "\(status.code)"], status: status)
    }
}

import Foundation
import HTTPServer
import NIOHTTP1

/// `GET /api/messages/wait`: what a test suite needs after sending, "give me the message for this
/// address as soon as it is there".
///
/// It answers at once with the newest message that matches (to, from, subject; `since` bounds it to
/// what arrived from then on, so that a test takes the time before it sends), otherwise as soon as one
/// arrives. When `timeout` seconds pass first (default 30, at most 120, so that no request is held
/// for ever), the answer is `204 No Content`, not 408: 408 says the *client* was too slow to send
/// its request, and browsers and HTTP libraries retry a 408 on their own; 204 is a finished request
/// with nothing to show, which a test sees as an empty body and fails on with its own message.
extension DevAPI {
    /// The longest wait a request may ask for, in seconds.
    static let maximumWait = 120

    static func addWaitRoute(to router: inout HTTPRouter, messages: DevMessages) {
        router.get("/api/messages/wait") { request in
            await answering {
                let query = DevQuery(request.query)
                let filter = try query.filter()
                let timeout = try query.number("timeout", default: 30, in: 0...maximumWait)
                guard let found = try await wait(for: filter, seconds: timeout, messages: messages) else {
                    var response = HTTPResponse(status: .noContent, contentType: "application/json", body: [])
                    response.headers.add(name: "X-Correo-Wait", value: "timed out after \(timeout) s")
                    return response
                }
                return json(found)
            }
        }
    }

    /// The newest message matching `filter`, waiting up to `seconds` for one to arrive.
    static func wait(
        for filter: DevMessageFilter,
        seconds: Int,
        messages: DevMessages
    ) async throws -> DevMessageSummary? {
        // Listening before looking, so that a message arriving in between is not missed.
        let arrivals = await messages.arrivals()
        if let present = try await messages.list(filter).first { return present }
        return await withTaskGroup(of: DevMessageSummary?.self) { group in
            group.addTask {
                for await message in arrivals where filter.matches(message) { return message }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

import Foundation
import HTTPServer
import NIOHTTP1

/// `GET /api/events`: server-sent events (the HTML living standard's `text/event-stream`), one
/// `message` event with the summary as JSON per arrival, and a comment line every 15 s so that
/// proxies and browsers keep the connection.
extension DevAPI {
    static let eventKeepAlive: Duration = .seconds(15)

    static func addEventRoute(to router: inout HTTPRouter, messages: DevMessages) {
        router.get("/api/events") { _ in
            let arrivals = await messages.arrivals()
            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(100))
            continuation.yield(Array(": correo --dev arrivals\nretry: 2000\n\n".utf8))
            let forward = Task {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for await message in arrivals {
                    guard let data = try? encoder.encode(message) else { continue }
                    continuation.yield(
                        Array("event: message\nid: \(message.id)\ndata: ".utf8) + Array(data) + Array("\n\n".utf8)
                    )
                }
                continuation.finish()
            }
            let keepAlive = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: eventKeepAlive)
                    continuation.yield(Array(": keep-alive\n\n".utf8))
                }
            }
            continuation.onTermination = { _ in
                forward.cancel()
                keepAlive.cancel()
            }
            var response = HTTPResponse(contentType: "text/event-stream", body: [])
            response.headers.add(name: "Cache-Control", value: "no-cache")
            response.stream = stream
            return response
        }
    }
}

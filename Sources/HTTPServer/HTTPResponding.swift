/// Whatever answers a listener's requests: an `HTTPRouter` (GET and HEAD by exact path, the operator's
/// listener) or an application that also reads request bodies (the public listener's autodiscover POST).
public protocol HTTPResponding: Sendable {
    /// The answer to `request`, whose body (at most the listener's `maximumBodyBytes`) is `body`.
    func respond(to request: HTTPRequest, body: [UInt8]) async -> HTTPResponse
}

extension HTTPRouter: HTTPResponding {
    /// The router's answer; the body reaches the route in `request.body`.
    public func respond(to request: HTTPRequest, body: [UInt8]) async -> HTTPResponse {
        var request = request
        request.body = body
        return await respond(to: request)
    }
}

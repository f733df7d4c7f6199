import NIOCore
import NIOHTTP1

/// A request as a route sees it: method, path, query and a small body (at most the listener's
/// `maximumBodyBytes`: the listeners serve small documents and take small settings, such as the
/// developer's mode's faults).
public struct HTTPRequest: Sendable {
    /// The method: GET, HEAD and so on.
    public var method: HTTPMethod
    /// The path, without the query: `/metrics`.
    public var path: String
    /// What followed `?`, if anything.
    public var query: String?
    /// The request's header fields.
    public var headers: HTTPHeaders
    /// What a pattern route's `{name}` segments matched (`HTTPRouter+Patterns.swift`); empty otherwise.
    public var parameters: [String: String] = [:]
    /// The request's body, if it had one.
    public var body: [UInt8] = []

    /// A request for `target` (`/path?query`).
    public init(method: HTTPMethod, target: String, headers: HTTPHeaders = [:]) {
        self.method = method
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = String(parts.first ?? "/")
        self.query = parts.count > 1 ? String(parts[1]) : nil
        self.headers = headers
    }
}

/// What a route answers.
public struct HTTPResponse: Sendable {
    /// The status: 200, 404, 503 and so on.
    public var status: HTTPResponseStatus
    /// Content-Type and any other fields; Content-Length is added by the listener.
    public var headers: HTTPHeaders
    /// The body.
    public var body: [UInt8]
    /// A body that is written as it comes (server-sent events), chunk by chunk, instead of `body`; the
    /// connection closes when it ends.
    ///
    /// Cancelled when the client goes away.
    public var stream: AsyncStream<[UInt8]>?

    /// A response with `body` as `contentType`.
    public init(status: HTTPResponseStatus = .ok, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
        self.status = status
        self.headers = ["Content-Type": contentType]
        self.body = body
    }

    /// A plain-text response.
    public static func text(_ text: String, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(text.utf8))
    }
}

/// Routes by exact path to handlers: the listener's whole application.
///
/// Routes are added before the listener starts and never after, so lookups need no lock.
public struct HTTPRouter: Sendable {
    /// Answers one request; runs off the event loop, so it may read files or ask other actors.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    private var routes: [String: Handler] = [:]
    /// Routes with `{name}` segments or other methods, tried in order after the exact paths.
    var patternRoutes: [HTTPPatternRoute] = []

    /// A router with no route (every path is 404).
    public init() {}

    /// Serves `path` with `handler` for GET and HEAD.
    public mutating func get(_ path: String, _ handler: @escaping Handler) {
        routes[path] = handler
    }

    /// The paths served, sorted.
    public var paths: [String] { Set(routes.keys).union(patternRoutes.map(\.pattern.text)).sorted() }

    /// The answer to `request`: the route's, or 404 for an unknown path, 405 for a method other than
    /// GET or HEAD (HEAD gets GET's head, its body dropped by the listener).
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let isGet = request.method == .GET || request.method == .HEAD
        if isGet, let handler = routes[request.path] { return await handler(request) }
        // A path with an exact route is that route's: only patterns without parameters that name the
        // same path (another method on it) share it.
        let exact = routes[request.path] != nil
        if let answer = await respondByPattern(to: request, literalOnly: exact, alsoAllowed: exact ? ["GET, HEAD"] : [])
        {
            return answer
        }
        guard exact else { return .text("not found\n", status: .notFound) }
        var response = HTTPResponse.text("only GET and HEAD\n", status: .methodNotAllowed)
        response.headers.add(name: "Allow", value: "GET, HEAD")
        return response
    }
}

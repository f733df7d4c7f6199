import Foundation
import NIOHTTP1

/// A path pattern: literal segments and `{name}` segments that match any one non-empty segment
/// (`/api/messages/{id}/raw`).
///
/// A `{name}` never matches across a "/", so a parameter can never hold a path; handlers still check what they got.
public struct HTTPPathPattern: Sendable, Hashable {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case parameter(String)
    }

    /// The pattern as written.
    public let text: String
    let segments: [Segment]

    /// A pattern from its text; segments in braces are parameters.
    public init(_ text: String) {
        self.text = text
        segments = text.split(separator: "/", omittingEmptySubsequences: true).map { segment in
            if segment.hasPrefix("{"), segment.hasSuffix("}"), segment.count > 2 {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            return .literal(String(segment))
        }
    }

    /// The parameters `path` binds, percent-decoded, or nil when it does not match.
    public func match(_ path: String) -> [String: String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal): if literal != part { return nil }
            case .parameter(let name):
                guard let decoded = String(part).removingPercentEncoding, !decoded.isEmpty else { return nil }
                parameters[name] = decoded
            }
        }
        return parameters
    }
}

/// One pattern route: a method, a pattern and its handler.
struct HTTPPatternRoute: Sendable {
    let method: HTTPMethod
    let pattern: HTTPPathPattern
    let handler: HTTPRouter.Handler
}

extension HTTPRouter {
    /// Serves `method` on `pattern` (`/api/messages/{id}`); GET routes answer HEAD too.
    ///
    /// Exact paths added with `get(_:_:)` are tried first, then patterns in the order they were added.
    public mutating func route(_ method: HTTPMethod, _ pattern: String, _ handler: @escaping Handler) {
        patternRoutes.append(HTTPPatternRoute(method: method, pattern: HTTPPathPattern(pattern), handler: handler))
    }

    /// The first pattern route for the request's path and method; 405 with `Allow` (`alsoAllowed`
    /// and the methods of the patterns that match) when the path matches only under other methods, nil
    /// when no pattern matches the path.
    ///
    /// `literalOnly` leaves out patterns with parameters.
    func respondByPattern(
        to request: HTTPRequest,
        literalOnly: Bool = false,
        alsoAllowed: [String] = []
    ) async -> HTTPResponse? {
        var allowed = alsoAllowed
        var matchedAny = false
        for route in patternRoutes {
            guard let parameters = route.pattern.match(request.path), !literalOnly || parameters.isEmpty else {
                continue
            }
            matchedAny = true
            let method = request.method == .HEAD ? HTTPMethod.GET : request.method
            guard route.method == method else {
                allowed.append(route.method == .GET ? "GET, HEAD" : route.method.rawValue)
                continue
            }
            var matched = request
            matched.parameters = parameters
            return await route.handler(matched)
        }
        guard !matchedAny else {
            var response = HTTPResponse.text(
                "method \(request.method.rawValue) not allowed here\n",
                status: .methodNotAllowed
            )
            var seen: Set<String> = []
            response.headers.add(
                name: "Allow",
                value: allowed.filter { seen.insert($0).inserted }.joined(separator: ", ")
            )
            return response
        }
        return nil
    }
}

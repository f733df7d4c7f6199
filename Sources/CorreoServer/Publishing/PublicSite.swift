import HTTPServer

/// What the public listeners serve, by Host header and for the local domains only: the MTA-STS policy
/// on `mta-sts.DOMAIN`, autoconfig on `DOMAIN`, `autoconfig.DOMAIN` or the server's hostname, and
/// autodiscover on `DOMAIN`, `autodiscover.DOMAIN` or the hostname.
///
/// Anything else is 404; no operator route (/metrics, /healthz) is here: those stay on the loopback listener's own
/// router.
public struct PublicSite: HTTPResponding {
    /// The MTA-STS policy's path (RFC 8461 §3.3).
    public static let mtaSTSPath = "/.well-known/mta-sts.txt"
    /// Autoconfig at the domain itself (Thunderbird asks `https://DOMAIN/.well-known/autoconfig/…`).
    public static let wellKnownAutoconfigPath = "/.well-known/autoconfig/mail/config-v1.1.xml"
    /// Autoconfig at `autoconfig.DOMAIN`, with `?emailaddress=` (Thunderbird's first try).
    public static let autoconfigPath = "/mail/config-v1.1.xml"
    /// Autodiscover's POX endpoint, compared without case (Outlook writes `/Autodiscover/Autodiscover.xml`).
    public static let autodiscoverPath = "/autodiscover/autodiscover.xml"

    private let domains: Set<String>
    private let hostname: String
    private let settings: MailClientSettings
    private let router: HTTPRouter
    private let servesAutodiscover: Bool

    /// The site for `configuration`'s domains.
    ///
    /// `plainHTTP`: the autoconfig-only listener, which serves neither the policy (HTTPS only, RFC 8461 §3.3) nor
    /// autodiscover (Outlook sends credentials to it).
    public init(configuration: CorreoConfiguration, plainHTTP: Bool = false) {
        let domains = Set(configuration.domains)
        let hostname = configuration.hostname.lowercased()
        let settings = MailClientSettings(hostname: configuration.hostname, ports: configuration.ports)
        let policy = Array(configuration.publishing.mtaSTS.text(hostname: configuration.hostname).utf8)
        self.domains = domains
        self.hostname = hostname
        self.settings = settings
        servesAutodiscover = !plainHTTP
        var router = HTTPRouter()
        if !plainHTTP {
            router.get(Self.mtaSTSPath) { request in
                guard let host = Self.host(of: request), host.hasPrefix("mta-sts."),
                    domains.contains(String(host.dropFirst(8)))
                else { return Self.notFound }
                return HTTPResponse(body: policy)
            }
        }
        let autoconfig: HTTPRouter.Handler = { request in
            guard let host = Self.host(of: request) else { return Self.notFound }
            let hostDomain = host.hasPrefix("autoconfig.") ? String(host.dropFirst(11)) : host
            guard domains.contains(hostDomain) || host == hostname else { return Self.notFound }
            // The address's domain when given (one host may serve several domains), else the host's.
            var domain = hostDomain
            if let address = request.queryValue("emailaddress") {
                guard let at = address.lastIndex(of: "@") else {
                    return .text("emailaddress is not an address\n", status: .badRequest)
                }
                domain = address[address.index(after: at)...].lowercased()
            }
            guard domains.contains(domain) else { return Self.notFound }
            return HTTPResponse(
                contentType: "application/xml; charset=utf-8",
                body: Array(Autoconfig.document(domain: domain, settings: settings).utf8)
            )
        }
        router.get(Self.wellKnownAutoconfigPath, autoconfig)
        router.get(Self.autoconfigPath, autoconfig)
        self.router = router
    }

    /// The paths served, for the start-up log.
    public var paths: [String] { router.paths + (servesAutodiscover ? [Self.autodiscoverPath] : []) }

    /// Autodiscover's POST here; every other request through the router (404 for unknown paths, 405
    /// for methods other than GET and HEAD).
    public func respond(to request: HTTPRequest, body: [UInt8]) async -> HTTPResponse {
        guard servesAutodiscover, request.path.lowercased() == Self.autodiscoverPath else {
            return await router.respond(to: request)
        }
        guard request.method == .POST else {
            var response = HTTPResponse.text("only POST\n", status: .methodNotAllowed)
            response.headers.add(name: "Allow", value: "POST")
            return response
        }
        guard let host = Self.host(of: request) else { return Self.notFound }
        let hostDomain = host.hasPrefix("autodiscover.") ? String(host.dropFirst(13)) : host
        guard domains.contains(hostDomain) || host == hostname else { return Self.notFound }
        guard let address = Autodiscover.emailAddress(inRequest: body) else {
            return .text("no EMailAddress in the request\n", status: .badRequest)
        }
        guard let at = address.lastIndex(of: "@"), domains.contains(address[address.index(after: at)...].lowercased())
        else { return Self.notFound }
        return HTTPResponse(
            contentType: "application/xml; charset=utf-8",
            body: Array(Autodiscover.response(address: address, settings: settings).utf8)
        )
    }

    private static let notFound = HTTPResponse.text("not found\n", status: .notFound)

    /// The request's Host without port, lower-cased, without a trailing dot; nil without one (HTTP/1.0)
    /// or for an address literal.
    static func host(of request: HTTPRequest) -> String? {
        guard var host = request.headers.first(name: "Host")?.lowercased(), !host.hasPrefix("[") else { return nil }
        if let colon = host.firstIndex(of: ":") { host = String(host[..<colon]) }
        if host.hasSuffix(".") { host.removeLast() }
        return host.isEmpty ? nil : host
    }
}

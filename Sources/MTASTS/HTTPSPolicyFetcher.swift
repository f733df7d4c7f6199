import DNS
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Fetches `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` (RFC 8461 §3.3): one GET over HTTPS whose
/// certificate must verify for `mta-sts.DOMAIN` (the system's authorities, plus an operator's CA file),
/// no redirects followed, a 200 with `text/plain` only, at most `sizeLimit` octets, within `timeout`.
///
/// The host is resolved by correo's own resolver (the `--dns-server` the relay uses) and connected to by
/// address, with the name given to TLS for SNI and verification.
public struct HTTPSPolicyFetcher: STSPolicyFetching {
    /// The addresses of a host name, in the order to try them.
    let addresses: @Sendable (String) async -> [String]
    let tls: NIOSSLContext
    let group: any EventLoopGroup
    /// The port of the policy host (443; a test's server elsewhere).
    public var port = 443
    /// The whole fetch, connection included (RFC 8461 §3.3 suggests a minute at most).
    public var timeout: TimeAmount = .seconds(30)
    /// The largest body accepted (RFC 8461 §3.3: senders may limit it; 64 KiB here).
    public var sizeLimit = 64 * 1024

    /// A fetcher that trusts the system's authorities and those in `caFile` (PEM), if given.
    public init(
        caFile: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        addresses: @escaping @Sendable (String) async -> [String]
    ) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.additionalTrustRoots = [.file(caFile)] }
        tls = try NIOSSLContext(configuration: configuration)
        self.group = group
        self.addresses = addresses
    }

    /// A fetcher whose host names are resolved by `resolver`.
    public init(caFile: String? = nil, resolver: DNSResolver) throws {
        try self.init(caFile: caFile) { host in
            guard let result = try? await resolver.addresses(host) else { return [] }
            return result.records.map(\.description)
        }
    }

    /// The policy body, or why it could not be had.
    public func fetchPolicy(domain: String) async throws(STSFetchError) -> String {
        let host = "mta-sts.\(STSPolicy.normalized(domain))"
        let candidates = await addresses(host)
        guard !candidates.isEmpty else { throw STSFetchError(.stsPolicyFetchError, "no address for \(host)") }
        var last = STSFetchError(.stsPolicyFetchError, "no address of \(host) answered")
        for address in candidates.prefix(4) {
            do {
                return try await fetch(host: host, address: address)
            } catch let error as STSFetchError {
                // A wrong certificate or answer is the server's, not the address's: no other address helps.
                if error.resultType != .stsPolicyFetchError || error.reason.hasPrefix("HTTP") { throw error }
                last = error
            } catch {
                last = STSFetchError(.stsPolicyFetchError, "\(host) [\(address)]: \(error)")
            }
        }
        throw last
    }

    private func fetch(host: String, address: String) async throws -> String {
        let (tls, limit) = (self.tls, sizeLimit)
        let promise = group.next().makePromise(of: String.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let operations = channel.pipeline.syncOperations
                        try operations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: host))
                        try operations.addHTTPClientHandlers()
                        try operations.addHandler(PolicyResponseHandler(host: host, promise: promise, limit: limit))
                    }
                }
                .connect(host: address, port: port).get()
        } catch {
            promise.fail(error)
            throw STSFetchError(.stsPolicyFetchError, "\(host) [\(address)]: cannot connect: \(error)")
        }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            channel.pipeline.fireErrorCaught(STSFetchError(.stsPolicyFetchError, "\(host): no answer in time"))
        }
        defer { deadline.cancel() }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/.well-known/mta-sts.txt")
        head.headers.add(name: "Host", value: host)
        head.headers.add(name: "User-Agent", value: "correo")
        head.headers.add(name: "Accept", value: "text/plain")
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await promise.futureResult.get()
    }
}

/// Reads one response into the promise: a 200 `text/plain` body up to the limit, anything else an error.
final class PolicyResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let host: String
    let promise: EventLoopPromise<String>
    let limit: Int
    private var body: [UInt8] = []
    private var done = false

    init(host: String, promise: EventLoopPromise<String>, limit: Int) {
        self.host = host
        self.promise = promise
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard head.status == .ok else {
                // RFC 8461 §3.3: redirects are not followed; any other answer is no policy.
                let what = (300..<400).contains(Int(head.status.code)) ? " (redirects are not followed)" : ""
                return finish(
                    context,
                    .failure(STSFetchError(.stsPolicyFetchError, "HTTP \(head.status.code) from \(host)\(what)"))
                )
            }
            let type = head.headers.first(name: "Content-Type")?.lowercased() ?? ""
            guard type.split(separator: ";").first.map({ $0.trimmingWhitespace }) == "text/plain" else {
                return finish(
                    context,
                    .failure(STSFetchError(.stsPolicyInvalid, "Content-Type \"\(type)\" from \(host), not text/plain"))
                )
            }
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= limit else {
                return finish(
                    context,
                    .failure(STSFetchError(.stsPolicyInvalid, "policy from \(host) larger than \(limit) octets"))
                )
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            finish(context, .success(String(decoding: body, as: UTF8.self)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? STSFetchError { return finish(context, .failure(error)) }
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("failedToValidateHostname")
            || text.contains("unableToValidateCertificate")
        {
            finish(
                context,
                .failure(STSFetchError(.stsWebPKIInvalid, "the certificate of \(host) does not verify: \(text)"))
            )
        } else {
            finish(context, .failure(STSFetchError(.stsPolicyFetchError, "\(host): \(text)")))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(
            context,
            .failure(STSFetchError(.stsPolicyFetchError, "\(host) closed the connection before the end of the policy"))
        )
        context.fireChannelInactive()
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<String, STSFetchError>) {
        guard !done else { return }
        done = true
        switch result {
        case .success(let text): promise.succeed(text)
        case .failure(let error): promise.fail(error)
        }
        context.close(promise: nil)
    }
}

extension DNSResolver: TXTResolving {
    /// The TXT records at `name`, each record's strings joined (RFC 8461 §3.1, RFC 8460 §3).
    public func txtAnswer(_ name: String) async -> TXTAnswer {
        guard let result = try? await txt(name) else { return .none }
        switch result {
        case .records(let records): return .texts(records.map { String(decoding: $0.text, as: UTF8.self) })
        case .nxdomain, .nodata: return .none
        case .temporaryFailure(let failure): return .temporaryFailure("\(failure)")
        }
    }
}

import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServerSupport

/// A small HTTP/1.1 listener for operators' tools, and (with `HTTPListenerOptions`' TLS, caps and
/// time-out) for what the internet fetches: MTA-STS policies and mail-client autoconfiguration.
///
/// It serves the `HTTPRouter` (or other `HTTPResponding`) it is given, one request after another per
/// connection (keep-alive), with a cap on connections from `ServerSupport`.
///
/// ```swift
/// var router = HTTPRouter()
/// router.get("/healthz") { _ in .text("ok\n") }
/// let server = HTTPServer(router: router, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
/// let port = try await server.start(host: "127.0.0.1", port: 9025)
/// …
/// await server.shutdown()
/// ```
public final class HTTPServer: Sendable {
    private let responder: any HTTPResponding
    private let paths: [String]
    private let options: HTTPListenerOptions
    private let group: any EventLoopGroup
    private let logger: Logger
    private let listeners = Listeners()
    private let registry: ConnectionRegistry

    /// A server for `router`; at most `maximumConnections` at once (scrapers and probes are few).
    public convenience init(router: HTTPRouter, maximumConnections: Int = 32, group: any EventLoopGroup, logger: Logger)
    {
        self.init(
            responder: router,
            paths: router.paths,
            options: HTTPListenerOptions(maximumConnections: maximumConnections),
            group: group,
            logger: logger
        )
    }

    /// A server for `responder` (which names its `paths` for the start-up log), with `options`' TLS and
    /// limits: the public listener's form (HTTPServer+TLS.swift).
    public init(
        responder: any HTTPResponding,
        paths: [String],
        options: HTTPListenerOptions,
        group: any EventLoopGroup,
        logger: Logger
    ) {
        self.responder = responder
        self.paths = paths
        self.options = options
        self.group = group
        self.logger = logger
        self.registry = ConnectionRegistry(
            maximumTotal: options.maximumConnections,
            maximumPerAddress: options.maximumConnectionsPerAddress
        )
    }

    /// Opens the listener; returns the port bound (for port 0).
    public func start(host: String, port: Int) async throws -> Int {
        let opened = try await listeners.start([HostPort(host: host, port: port)], group: group) {
            [self] channel, _ in try initialize(channel)
        }
        let bound = opened.first?.port ?? port
        logger.info(
            "HTTP listening",
            metadata: [
                "port": "\(bound)", "tls": "\(options.tls != nil)", "paths": "\(paths.joined(separator: " "))",
            ]
        )
        return bound
    }

    /// Closes the listener and every connection.
    public func shutdown() async {
        await listeners.closeAll()
        for channel in registry.stopAccepting() { try? await channel.close() }
    }

    private func initialize(_ channel: any Channel) throws {
        let sync = channel.pipeline.syncOperations
        // TLS first, so that a refusal too is sent inside it (NIOSSL holds it until the handshake is done).
        try addTLSAndTimeout(options, to: sync)
        guard registry.admit(channel, address: channel.remoteAddress?.ipAddress ?? "unknown") != nil else {
            let answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            return try sync.addHandler(RefusingHandler(answer: answer))
        }
        try sync.configureHTTPServerPipeline()
        try sync.addHandler(HTTPRequestHandler(responder: responder, maximumBodyBytes: options.maximumBodyBytes))
    }
}

/// Collects one request's head and body (at most `maximumBodyBytes`; beyond that the answer is 413 at
/// once and the connection is closed), asks the responder off the event loop, and writes the answer; requests on one
/// connection are answered in order (the pipelining handler holds the next one back meanwhile).
final class HTTPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: any HTTPResponding
    private let maximumBodyBytes: Int
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    /// A streamed body being written (server-sent events); cancelled when the client goes away.
    private var streaming: Task<Void, Never>?

    init(responder: any HTTPResponding, maximumBodyBytes: Int) {
        self.responder = responder
        self.maximumBodyBytes = maximumBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(var head):
            self.head = head
            body = []
            tooLarge = false
            // A declared length over the cap is refused before any of the body is read.
            if let length = head.headers.first(name: "Content-Length").flatMap(Int.init), length > maximumBodyBytes {
                tooLarge = true
                head.headers.replaceOrAdd(name: "Connection", value: "close")
                write(.text("request body too large\n", status: .payloadTooLarge), for: head, context: context)
            }
        case .body(let chunk):
            guard !tooLarge, var head else { return }
            guard body.count + chunk.readableBytes <= maximumBodyBytes else {
                // Answered at once, and the connection closed: the rest of the body is never read.
                tooLarge = true
                body = []
                head.headers.replaceOrAdd(name: "Connection", value: "close")
                write(.text("request body too large\n", status: .payloadTooLarge), for: head, context: context)
                return
            }
            body += chunk.readableBytesView
        case .end:
            guard let head, !tooLarge else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let responder = self.responder
        let request = HTTPRequest(method: head.method, target: head.uri, headers: head.headers)
        let body = self.body
        self.body = []
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { await responder.respond(to: request, body: body) }.whenSuccess {
            response in
            let (handler, context) = bound.value
            handler.write(response, for: head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        streaming?.cancel()
        streaming = nil
        context.fireChannelInactive()
    }

    private func write(_ response: HTTPResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        if let stream = response.stream, request.method != .HEAD {
            return write(stream, response, for: request, context: context)
        }
        var headers = response.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD, !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

extension HTTPRequestHandler {
    /// Writes the head without a length (NIOHTTP1 then uses chunked encoding), each chunk of `stream`
    /// as it comes, and closes the connection when the stream ends.
    private func write(
        _ stream: AsyncStream<[UInt8]>,
        _ response: HTTPResponse,
        for request: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        var headers = response.headers
        headers.replaceOrAdd(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        streaming = Task {
            for await chunk in stream {
                let written = loop.flatSubmit {
                    let (handler, context) = bound.value
                    return context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: chunk)))))
                }
                // One chunk at a time: a slow reader holds the stream back instead of filling memory.
                guard (try? await written.get()) != nil else { break }
            }
            loop.execute {
                let (handler, context) = bound.value
                handler.streaming = nil
                context.writeAndFlush(handler.wrapOutboundOut(.end(nil))).whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        }
    }
}

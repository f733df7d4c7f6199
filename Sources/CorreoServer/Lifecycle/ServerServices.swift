import IMAPServer
import Logging
import NNTPServer
import Relay
import SMTPServer
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// A protocol server as a swift-service-lifecycle `Service`.
///
/// Its listeners are bound before the group runs (so that the bound ports can be reported and privileges dropped
/// first); the service then waits for the group's graceful shutdown and stops its server: gracefully (sessions finish
/// their transaction) on the first SIGTERM/SIGINT, at once when the group is cancelled (a second signal).
struct ListeningService: Service, CustomStringConvertible {
    let description: String
    let logger: Logger
    let stop: @Sendable (_ graceful: Bool) async -> Void

    func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            logger.notice("stopping \(description) at once")
            await stop(false)
            throw error
        }
        // ServiceLifecycle forbids a signal in both its graceful and its cancelling list; the default action
        // back gives the operator's second Ctrl-C (or SIGTERM) its usual meaning during a slow shutdown.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        logger.notice(
            "stopping \(description): sessions finish what they are doing (a second SIGTERM or SIGINT ends the process at once)"
        )
        await stop(true)
    }
}

/// The outbound queue's runner as a `Service`: it works the queue until the group shuts down; attempts
/// under way then record their outcome (RemoteDelivery treats a cancelled attempt as deferred).
struct QueueRunnerService: Service, CustomStringConvertible {
    let runner: QueueRunner
    var description: String { "relay" }

    func run() async throws {
        await cancelWhenGracefulShutdown { await runner.run() }
    }
}

/// Tells systemd (sd_notify STOPPING=1) when the group's graceful shutdown begins.
struct SystemdStoppingService: Service, CustomStringConvertible {
    var description: String { "sd_notify" }

    func run() async throws {
        try? await gracefulShutdown()
        SystemdNotify.send("STOPPING=1")
    }
}

extension CorreoService {
    /// The running parts in start order; the group stops them in reverse: SMTP first (no new mail), then
    /// the relay, then IMAP (readers keep their sessions longest).
    func services() -> [any Service] {
        var services: [any Service] = []
        // First in, last out: metrics and health answer until everything else has stopped.
        if let http {
            services.append(ListeningService(description: "http", logger: logger) { _ in await http.shutdown() })
        }
        for listener in publishing {
            let server = listener.server
            services.append(
                ListeningService(description: listener.name, logger: logger) { _ in await server.shutdown() }
            )
        }
        if let imap {
            services.append(ListeningService(description: "imap", logger: logger) { _ in try? await imap.shutdown() })
        }
        if let nntp {
            services.append(ListeningService(description: "nntp", logger: logger) { _ in await nntp.shutdown() })
        }
        if let relay { services.append(QueueRunnerService(runner: relay)) }
        if let smtp {
            services.append(ListeningService(description: "smtp", logger: logger) { await smtp.shutdown(graceful: $0) })
        }
        // Last in, first told: systemd hears STOPPING=1 as the graceful shutdown begins.
        services.append(SystemdStoppingService())
        return services
    }

    /// One group for the whole process: SIGTERM and SIGINT shut it down gracefully.
    func serviceGroup(logger: Logger) -> ServiceGroup {
        ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services().map { .init(service: $0, serviceName: "\($0)") },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
    }
}

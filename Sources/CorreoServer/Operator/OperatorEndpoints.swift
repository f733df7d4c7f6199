import CoreMetrics
import Foundation
import HTTPServer
import MailStore
import Prometheus

/// What the operator's HTTP listener (`--http-port`, loopback only) serves: `/metrics` in Prometheus'
/// text format and `/healthz`.
///
/// More routes (MTA-STS, a developer's web UI) go into the same router.
public enum OperatorEndpoints {
    /// The registry every swift-metrics counter, meter and timer of the process records into, made the
    /// process's metrics backend on first use (MetricsSystem can be bootstrapped once only).
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(
            DescribedMetricsFactory(
                registry: registry,
                help: help,
                // IMAP commands take micro- to milliseconds on a local store.
                durationBuckets: [
                    .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                    .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                    .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
                ],
                valueBuckets: [1, 10, 100, 1000, 10000]
            )
        )
        return registry
    }()

    /// Every metric correo records, with its `# HELP` text (README "Metrics and health" lists them too).
    static let help: [String: String] = [
        "correo_sessions_total": "Connections accepted, by protocol",
        "correo_sessions_open": "Connections open now, by protocol",
        "correo_smtp_messages_accepted_total": "Messages accepted over SMTP (250 after DATA/BDAT)",
        "correo_smtp_refusals_total": "SMTP 4xx/5xx replies, by reason",
        "correo_deliveries_total": "Delivery attempts of queued mail, by status (sent, relayed, deferred, bounced)",
        "correo_auth_failures_total": "Failed logins, by protocol",
        "correo_tls_handshakes_total": "TLS handshakes, by protocol and result",
        "correo_imap_command_duration_seconds": "IMAP command latency from start to tagged response, by command",
        "correo_queue_messages": "Messages in the outbound queue",
        "correo_queue_oldest_age_seconds": "Age of the oldest message in the outbound queue",
    ]

    /// The router: `/metrics` (the queue's gauges refreshed at each scrape) and `/healthz`.
    ///
    /// `queue`: the outbound queue when it is not `store`'s (the PostgreSQL store's).
    public static func router(store: MailStore, queue: (any OutboundQueueStore)? = nil) -> HTTPRouter {
        let queue = queue ?? store.queue
        let registry = self.registry
        // Through swift-metrics like every other metric, so that the help text comes from one table.
        let queueMessages = Meter(label: "correo_queue_messages")
        let queueOldest = Meter(label: "correo_queue_oldest_age_seconds")
        var router = HTTPRouter()
        router.get("/metrics") { _ in
            // Read at scrape time, off the event loop (the router runs in a task).
            let envelopes = (try? await queue.envelopes()) ?? []
            queueMessages.set(Double(envelopes.count))
            let oldest = envelopes.map(\.arrival).min().map { Date().timeIntervalSince($0) } ?? 0
            queueOldest.set(max(0, oldest))
            return HTTPResponse(
                contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: registry.emitToBuffer()
            )
        }
        router.get("/healthz") { _ in
            // Healthy while the storage folder can be written: the one thing every delivery needs.
            guard access(store.root.path, W_OK) == 0 else {
                return .text("storage \(store.root.path) is not writable\n", status: .serviceUnavailable)
            }
            return .text("ok\n")
        }
        return router
    }
}

import CoreMetrics
import Prometheus
import Testing

@testable import CorreoServer

/// The factory finds a counter it made again by name and dimensions, and the registry still counts
/// every increment once, under one `# HELP` line.
@Suite struct DescribedMetricsFactoryTests {
    private func factory(_ registry: PrometheusCollectorRegistry) -> DescribedMetricsFactory {
        DescribedMetricsFactory(
            registry: registry,
            help: ["mail_total": "Mail counted"],
            durationBuckets: [.seconds(1)],
            valueBuckets: [1]
        )
    }

    private func exposition(_ registry: PrometheusCollectorRegistry) -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test func aCounterIsMadeOncePerNameAndDimensions() throws {
        let registry = PrometheusCollectorRegistry()
        let factory = factory(registry)
        let first = factory.makeCounter(label: "mail_total", dimensions: [("protocol", "smtp")])
        let again = factory.makeCounter(label: "mail_total", dimensions: [("protocol", "smtp")])
        let other = factory.makeCounter(label: "mail_total", dimensions: [("protocol", "imap")])
        let firstCounter = try #require(first as? Prometheus.Counter)
        let sameCounter = try #require(again as? Prometheus.Counter)
        let otherCounter = try #require(other as? Prometheus.Counter)
        #expect(firstCounter === sameCounter)
        #expect(firstCounter !== otherCounter)
        first.increment(by: 2)
        again.increment(by: 1)
        other.increment(by: 5)
        let text = exposition(registry)
        #expect(text.contains("mail_total{protocol=\"smtp\"} 3"), "\(text)")
        #expect(text.contains("mail_total{protocol=\"imap\"} 5"), "\(text)")
        #expect(text.components(separatedBy: "# HELP mail_total Mail counted").count == 2, "\(text)")
    }

    @Test func aDestroyedCounterIsMadeAnew() throws {
        let registry = PrometheusCollectorRegistry()
        let factory = factory(registry)
        let first = factory.makeCounter(label: "mail_total", dimensions: [])
        first.increment(by: 4)
        factory.destroyCounter(first)
        #expect(!exposition(registry).contains("mail_total 4"))
        let second = factory.makeCounter(label: "mail_total", dimensions: [])
        let firstCounter = try #require(first as? Prometheus.Counter)
        let secondCounter = try #require(second as? Prometheus.Counter)
        #expect(firstCounter !== secondCounter)
        second.increment(by: 1)
        #expect(exposition(registry).contains("mail_total 1"), "\(exposition(registry))")
    }
}

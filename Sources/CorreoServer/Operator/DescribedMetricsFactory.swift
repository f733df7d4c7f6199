import CoreMetrics
import Prometheus
import Synchronization

/// swift-metrics into a Prometheus registry, with a `# HELP` line for each of correo's metrics.
///
/// swift-prometheus' own factory registers every metric without help text, which `promtool check
/// metrics` reports as a lint problem (and exits non-zero); the registry refuses two help texts for
/// one name, so the text has to come with the first registration: from `help`, by metric name.
struct DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    /// Help text by metric name; a name without one gets its own name as text.
    let help: [String: String]
    let durationBuckets: [Duration]
    let valueBuckets: [Double]
    /// Counters made so far, by name and dimensions.
    ///
    /// swift-metrics makes a handler each time a `Counter` is made, and correo makes one per event (a
    /// message accepted, a session opened): the registry found its existing counter again, but in
    /// 5,400 instructions (building and comparing its label key), a fiftieth of a small message's
    /// whole cost (callgrind). A dictionary lookup here is a tenth of that.
    let counters = CounterCache()

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: help[label] ?? label)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        counters.counter(label: label, dimensions: dimensions) {
            registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
        }
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: valueBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: durationBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        guard let counter = handler as? Prometheus.Counter else { return }
        counters.remove(counter)
        registry.unregisterCounter(counter)
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        if let histogram = handler as? ValueHistogram { registry.unregisterValueHistogram(histogram) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}

/// The counters a `DescribedMetricsFactory` made, found again by name and dimensions.
final class CounterCache: Sendable {
    private struct Key: Hashable {
        let label: String
        let dimensions: [String]
    }

    private let counters = Mutex<[Key: Prometheus.Counter]>([:])

    /// The counter made before for `label` and `dimensions`, or the one `make` makes now.
    func counter(label: String, dimensions: [(String, String)], make: () -> Prometheus.Counter) -> Prometheus.Counter {
        var flat: [String] = []
        flat.reserveCapacity(dimensions.count * 2)
        for (name, value) in dimensions {
            flat.append(name)
            flat.append(value)
        }
        let key = Key(label: label, dimensions: flat)
        return counters.withLock { known in
            if let counter = known[key] { return counter }
            let counter = make()
            known[key] = counter
            return counter
        }
    }

    /// Forgets `counter`, which the registry no longer holds.
    func remove(_ counter: Prometheus.Counter) {
        counters.withLock { known in
            for (key, value) in known where value === counter { known[key] = nil }
        }
    }
}

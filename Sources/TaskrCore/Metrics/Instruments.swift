import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// What Taskr counts and times, through swift-metrics' API, kept by
/// swift-prometheus' registry and shown by `GET /metrics` in Prometheus'
/// text format. One per process (swift-metrics has one bootstrap).
///
/// Labels are bounded: a route's pattern (never the raw path), a method,
/// a status, an Attio endpoint's name, an outcome's word; never a user, a
/// path or an address. The per-request instruments are looked up in a
/// sharded cache (the registry's own lookup takes one lock for all), and
/// counting is an atomic add.
final class Instruments: Sendable {
    static let shared = Instruments()

    let registry: PrometheusCollectorRegistry
    private let counters = BoundedCache<CounterKey, CoreMetrics.Counter>(capacity: 4096)
    private let timers = BoundedCache<String, Metrics.Timer>(capacity: 256)

    private struct CounterKey: Hashable, Sendable {
        let label: String
        let dimensions: [String]
    }

    private init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map {
            Duration.microseconds(Int64($0 * 1000))
        }
        MetricsSystem.bootstrap(factory)
    }

    /// A request answered: by route pattern (`unmatched` for a 404 path), method and status.
    func request(route: String, method: String, status: Int, duration: Duration) {
        counter("taskr_requests_total", ["route": route, "method": method, "status": String(status)]).increment()
        timers.value(for: route) { Metrics.Timer(label: "taskr_request_duration_seconds", dimensions: [("route", $0)]) }
            .record(duration: duration)
    }

    /// A request refused at once because a bounded queue was full
    /// (`password_lane`, `password_queue`).
    func refusedForCapacity(_ what: String) {
        counter("taskr_capacity_refusals_total", ["queue": what]).increment()
    }

    /// A call to Attio: which endpoint, and how it ended (`ok`, `401`, `429`, `no_answer`…).
    func attioCall(endpoint: String, outcome: String) {
        counter("taskr_attio_calls_total", ["endpoint": endpoint, "outcome": outcome]).increment()
    }

    /// A background refresh ended (`ok`, a ``RefreshFailure``'s word, `dropped`, `lost`, `stopped`).
    func refresh(_ outcome: String) {
        counter("taskr_refreshes_total", ["outcome": outcome]).increment()
    }

    /// A request met the database down (answered 503).
    func databaseUnavailable() {
        counter("taskr_database_unavailable_total", [:]).increment()
    }

    /// The exposition, after the gauges read at scrape time are set.
    func exposition(passwordsWaiting: Int, oldestDueCopyAge: TimeInterval?) -> [UInt8] {
        CoreMetrics.Gauge(label: "taskr_password_queue_waiting").record(passwordsWaiting)
        CoreMetrics.Gauge(label: "taskr_oldest_due_copy_age_seconds").record(oldestDueCopyAge ?? 0)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private func counter(_ label: String, _ dimensions: KeyValuePairs<String, String>) -> CoreMetrics.Counter {
        let pairs = dimensions.map { ($0.key, $0.value) }
        return counters.value(for: CounterKey(label: label, dimensions: pairs.flatMap { [$0.0, $0.1] })) { _ in
            CoreMetrics.Counter(label: label, dimensions: pairs)
        }
    }
}

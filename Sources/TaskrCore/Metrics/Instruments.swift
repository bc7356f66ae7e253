import CoreMetrics
import Foundation
import Metrics
import Prometheus
import ThreadLocal

/// What Taskr counts and times, through swift-metrics' API, kept by
/// swift-prometheus' registry and shown by `GET /metrics` in Prometheus'
/// text format. One per process (swift-metrics has one bootstrap).
///
/// Labels are bounded: a route's pattern (never the raw path), a method,
/// a status, an Attio endpoint's name, an outcome's word; never a user, a
/// path or an address. Each thread keeps the instruments it used in a
/// dictionary of its own, so a request takes no lock to find them (the
/// registry's own lookup takes one lock for all; a shared cache's lock, a
/// Swift `Mutex`, is a PI futex on Linux and cost the connected page 14 %
/// under `make bench`), and counting is an atomic add.
final class Instruments: Sendable {
    static let shared = Instruments()

    let registry: PrometheusCollectorRegistry
    private let mine = ThreadLocal<Made> { Made() }

    /// One thread's instruments, by what they were made from. Bounded by
    /// the labels' bounds (routes × methods × statuses; endpoints × outcomes).
    private final class Made {
        var requests: [RequestKey: CoreMetrics.Counter] = [:]
        var timers: [String: Metrics.Timer] = [:]
        var counters: [CounterKey: CoreMetrics.Counter] = [:]
    }

    private struct RequestKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private struct CounterKey: Hashable {
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
        let made = try! mine.value()  // its make does not throw
        let key = RequestKey(route: route, method: method, status: status)
        let counter =
            made.requests[key]
            ?? {
                let counter = CoreMetrics.Counter(
                    label: "taskr_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))])
                made.requests[key] = counter
                return counter
            }()
        counter.increment()
        let timer =
            made.timers[route]
            ?? {
                let timer = Metrics.Timer(label: "taskr_request_duration_seconds", dimensions: [("route", route)])
                made.timers[route] = timer
                return timer
            }()
        timer.record(duration: duration)
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
        let made = try! mine.value()
        let pairs = dimensions.map { ($0.key, $0.value) }
        let key = CounterKey(label: label, dimensions: pairs.flatMap { [$0.0, $0.1] })
        if let counter = made.counters[key] { return counter }
        let counter = CoreMetrics.Counter(label: label, dimensions: pairs)
        made.counters[key] = counter
        return counter
    }
}

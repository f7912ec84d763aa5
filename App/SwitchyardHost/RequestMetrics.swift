import FeatureKit
import Hummingbird
import Prometheus
import Synchronization

/// Per-route request count and latency histogram. The route label is the matched route
/// template (`/products/{id}`), never the raw path, so label cardinality stays bounded. A
/// streamed answer (a body of unknown length) counts until its whole stream is written; a body
/// of known length is already in memory, so its latency ends when the route answers: wrapping
/// it to time the write would cost the server's one-write path (head and body in one `writev`).
struct RequestMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// The same counts kept for the dashboard, which reads them directly.
    let tallies: RouteTallies
    /// The registry's own lookup rebuilds label keys on every call; a route's series are few
    /// and fixed, so they are looked up once and kept here.
    private let series = SeriesCache()

    init(registry: PrometheusCollectorRegistry, tallies: RouteTallies) {
        self.registry = registry
        self.tallies = tallies
    }

    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests by method, matched route and status")
    }
    static var latency: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "HTTP request latency until the answer is ready (a stream: until it is written), by method and matched route")
    }

    /// Counts `response` to a request that started at `start`: now, or for a stream once it is written.
    func measure(_ response: Response, method: HTTPRequest.Method, endpoint: String?, since start: ContinuousClock.Instant) -> Response {
        let key = SeriesKey(method: method, endpoint: endpoint, status: response.status.code)
        guard response.body.contentLength == nil else {
            record(key, since: start)
            return response
        }
        var response = response
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                record(key, since: start)
                throw error
            }
            record(key, since: start)
        }
        return response
    }

    /// Counts a request that has no response to measure: answered outside the router
    /// (`ConstantRoutes`), or failed past the error envelope.
    func record(method: HTTPRequest.Method, endpoint: String?, status: Int, since start: ContinuousClock.Instant) {
        record(SeriesKey(method: method, endpoint: endpoint, status: status), since: start)
    }

    /// The route label of a matched endpoint path; worked out once per series, not per request.
    private static func route(_ endpointPath: String?) -> String {
        switch endpointPath {
        case nil, "NotFound": "unmatched"
        case let path?: ("/" + path).replacingOccurrences(of: "//", with: "/")
        }
    }

    private func record(_ key: SeriesKey, since start: ContinuousClock.Instant) {
        let metrics = series.entries.withLock { series in
            if let known = series[key] { return known }
            let (method, route, status) = (key.method.rawValue, Self.route(key.endpoint), key.status)
            let created = (
                requests: registry.makeCounter(
                    descriptor: Self.requests,
                    labels: [("method", method), ("route", route), ("status", String(status))]),
                latency: registry.makeDurationHistogram(
                    descriptor: Self.latency, labels: [("method", method), ("route", route)], buckets: Self.buckets),
                tally: tallies.tally(for: "\(method) \(route)")
            )
            series[key] = created
            return created
        }
        let elapsed = ContinuousClock.now - start
        metrics.requests.increment()
        metrics.latency.recordNanoseconds(Int64(elapsed / .nanoseconds(1)))
        metrics.tally.record(elapsed)
    }
}

/// A request's series: its method, the endpoint it matched and its status.
private struct SeriesKey: Hashable, Sendable {
    let method: HTTPRequest.Method
    let endpoint: String?
    let status: Int
}

private final class SeriesCache: Sendable {
    let entries = Mutex<[SeriesKey: (requests: Counter, latency: DurationHistogram, tally: RouteTally)]>([:])
}

/// Requests and latency buckets per route (`GET /products/{id}`), as the middleware counts them.
final class RouteTallies: Sendable {
    private let routes = Mutex<[String: RouteTally]>([:])

    func tally(for route: String) -> RouteTally {
        routes.withLock { routes in
            if let tally = routes[route] { return tally }
            let tally = RouteTally()
            routes[route] = tally
            return tally
        }
    }

    /// Requests so far and the p99 bound (the upper bound of the bucket the 99th percentile falls in) per route.
    func snapshot() -> [String: (requests: Int, p99: Duration?)] {
        routes.withLock { $0 }.mapValues { $0.snapshot() }
    }
}

final class RouteTally: Sendable {
    /// Counts per bucket of `RequestMetrics.buckets`, then one for anything slower.
    private let counts = Mutex([Int](repeating: 0, count: RequestMetrics.buckets.count + 1))

    func record(_ elapsed: Duration) {
        let bucket = RequestMetrics.buckets.firstIndex { elapsed <= $0 } ?? RequestMetrics.buckets.count
        counts.withLock { $0[bucket] += 1 }
    }

    func snapshot() -> (requests: Int, p99: Duration?) {
        let counts = counts.withLock { $0 }
        let total = counts.reduce(0, +)
        guard total > 0 else { return (0, nil) }
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += count
            if Double(seen) >= 0.99 * Double(total) {
                return (total, index < RequestMetrics.buckets.count ? RequestMetrics.buckets[index] : nil)
            }
        }
        return (total, nil)
    }
}

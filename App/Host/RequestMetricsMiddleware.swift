import FeatureKit
import Hummingbird
import Prometheus
import Synchronization

/// Per-route request count and latency histogram. The route label is the matched route
/// template (`/products/{id}`), never the raw path, so label cardinality stays bounded.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let registry: PrometheusCollectorRegistry
    /// The registry's own lookup rebuilds label keys on every call; a route's series are few
    /// and fixed, so they are looked up once and kept here.
    private let series = SeriesCache()

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
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
            helpText: "HTTP request latency by method and matched route")
    }

    func handle(
        _ request: Request, context: AppRequestContext,
        next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status.code, since: start)
            return response
        } catch {
            // The envelope middleware sits inside this one, so only a failure of its own lands here.
            record(request, context, status: 500, since: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: AppRequestContext, status: Int, since start: ContinuousClock.Instant) {
        let route =
            switch context.endpointPath {
            case nil, "NotFound": "unmatched"
            case let path?: ("/" + path).replacingOccurrences(of: "//", with: "/")
            }
        let method = request.method.rawValue
        let key = "\(method) \(route) \(status)"
        let metrics = series.entries.withLock { series in
            if let known = series[key] { return known }
            let created = (
                requests: registry.makeCounter(
                    descriptor: Self.requests,
                    labels: [("method", method), ("route", route), ("status", String(status))]),
                latency: registry.makeDurationHistogram(
                    descriptor: Self.latency, labels: [("method", method), ("route", route)], buckets: Self.buckets)
            )
            series[key] = created
            return created
        }
        metrics.requests.increment()
        metrics.latency.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
    }
}

private final class SeriesCache: Sendable {
    let entries = Mutex<[String: (requests: Counter, latency: DurationHistogram)]>([:])
}

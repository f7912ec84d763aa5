import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Requests by method, matched route and status, and latency by method and route. A route's
/// series is resolved once, when the route is registered, and comes with the index's match, so
/// such a request is counted with no lock and no lookup; what the index leaves to Hummingbird's
/// router (`HEAD`, a 405, no route) finds its series by its endpoint path, under a lock. Each
/// thread adds to tallies of its own (200 KiB); `/metrics` and the dashboard add them up. The route
/// label is the route's template (`/products/{id}`), never the raw path, so series stay few.
/// A streamed answer (a body of unknown length) counts until its whole stream is written; a
/// body of known length is in memory already, so its latency ends when the route answers.
final class RequestMetrics: Sendable {
    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    private static let bucketNanoseconds = buckets.map { Int($0 / .nanoseconds(1)) }

    /// Series beyond this many (clients spraying every method at every route) share one
    /// series labelled `other`.
    static let seriesLimit = 512
    /// Distinct statuses counted apart; any beyond share one labelled `other`.
    static let statusLimit = 32
    /// A series' slots in a thread's tallies: a count per status, a count per bucket and one
    /// past the last, and the sum of nanoseconds.
    private static let slotsPerSeries = statusLimit + buckets.count + 2

    private let table = Mutex(SeriesTable())
    private let statuses = StatusSlots()
    private let threads: ThreadLocalTallies

    private struct SeriesTable {
        var byEndpoint: [Endpoint: Series] = [:]
        var all: [Series] = []
    }

    /// A method and an endpoint path as Hummingbird reports them: the label is made once.
    private struct Endpoint: Hashable {
        let method: HTTPRequest.Method
        let path: String?
    }

    /// One method and route: its place in every thread's tallies.
    final class Series: Sendable {
        let index: Int
        let method: String
        let route: String

        init(index: Int, method: String, route: String) {
            self.index = index
            self.method = method
            self.route = route
        }
    }

    init() throws {
        threads = try ThreadLocalTallies(slots: Self.seriesLimit * Self.slotsPerSeries)
    }

    /// The series of `endpoint` (a route template as Hummingbird reports it; nil or
    /// `NotFound` for no route) and `method`: made the first time, found after that.
    func series(_ method: HTTPRequest.Method, endpoint: String?) -> Series {
        table.withLock { table in
            let key = Endpoint(method: method, path: endpoint)
            if let known = table.byEndpoint[key] { return known }
            let route = Self.route(endpoint)
            // Two endpoint paths may make one label (`NotFound` and none).
            if let known = table.all.first(where: { $0.method == method.rawValue && $0.route == route }) {
                table.byEndpoint[key] = known
                return known
            }
            let series: Series
            if table.all.count < Self.seriesLimit - 1 {
                series = Series(index: table.all.count, method: method.rawValue, route: route)
                table.all.append(series)
            } else if table.all.count == Self.seriesLimit {
                series = table.all[Self.seriesLimit - 1]
            } else {
                series = Series(index: Self.seriesLimit - 1, method: "other", route: "other")
                table.all.append(series)
            }
            table.byEndpoint[key] = series
            return series
        }
    }

    /// The route label of an endpoint path.
    private static func route(_ endpointPath: String?) -> String {
        switch endpointPath {
        case nil, "NotFound": "unmatched"
        case let path?: ("/" + path).replacingOccurrences(of: "//", with: "/")
        }
    }

    /// Counts `response` of `series`: now, or for a stream once it is written.
    func measure(_ response: Response, _ series: Series, since start: ContinuousClock.Instant) -> Response {
        let status = response.status.code
        guard response.body.contentLength == nil else {
            record(series, status: status, since: start)
            return response
        }
        var response = response
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { [self] writer in
            do {
                try await body.write(writer)
            } catch {
                record(series, status: status, since: start)
                throw error
            }
            record(series, status: status, since: start)
        }
        return response
    }

    /// Adds one request to this thread's tallies: three counts, each a load and a store.
    func record(_ series: Series, status: Int, since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        var bucket = 0
        while bucket < Self.bucketNanoseconds.count, nanoseconds > Self.bucketNanoseconds[bucket] { bucket += 1 }
        let tallies = threads.current()
        let base = series.index * Self.slotsPerSeries
        tallies.add(base + statuses.slot(of: status))
        tallies.add(base + Self.statusLimit + bucket)
        tallies.add(base + Self.slotsPerSeries - 1, nanoseconds)
    }

    /// Every series with at least one request, its counts added up over the threads.
    func snapshot() -> [Counts] {
        let series = table.withLock { $0.all }
        let sums = threads.sums(count: series.count * Self.slotsPerSeries)
        let statusCodes = statuses.codes()
        return series.compactMap { series in
            let base = series.index * Self.slotsPerSeries
            let buckets = Array(sums[(base + Self.statusLimit)..<(base + Self.slotsPerSeries - 1)])
            guard buckets.contains(where: { $0 > 0 }) else { return nil }
            let byStatus = statusCodes.enumerated().compactMap { slot, code in
                sums[base + slot] > 0 ? (code, sums[base + slot]) : nil
            }
            return Counts(series: series, statuses: byStatus, buckets: buckets, nanoseconds: sums[base + Self.slotsPerSeries - 1])
        }
    }

    /// `http_requests_total` and `http_request_duration_seconds` in Prometheus' text format.
    func exposition() -> String {
        let counts = snapshot()
        guard !counts.isEmpty else { return "" }
        var out = """
            # HELP http_requests_total HTTP requests by method, matched route and status
            # TYPE http_requests_total counter

            """
        for series in counts {
            for (status, requests) in series.statuses {
                out += "http_requests_total{\(series.labels),status=\"\(status)\"} \(requests)\n"
            }
        }
        out += """
            # HELP http_request_duration_seconds HTTP request latency until the answer is ready (a stream: until it is written), by method and matched route
            # TYPE http_request_duration_seconds histogram

            """
        for series in counts {
            var requests = 0
            for (bound, count) in zip(Self.bucketNanoseconds, series.buckets) {
                requests += count
                out += "http_request_duration_seconds_bucket{\(series.labels),le=\"\(Double(bound) / 1e9)\"} \(requests)\n"
            }
            out += "http_request_duration_seconds_bucket{\(series.labels),le=\"+Inf\"} \(series.requests)\n"
            out += "http_request_duration_seconds_sum{\(series.labels)} \(Double(series.nanoseconds) / 1e9)\n"
            out += "http_request_duration_seconds_count{\(series.labels)} \(series.requests)\n"
        }
        return out
    }

    struct Counts {
        let series: Series
        /// Requests per status, in the order statuses were first seen.
        let statuses: [(status: String, requests: Int)]
        /// Requests per latency bucket of `buckets`, then those slower than the last.
        let buckets: [Int]
        let nanoseconds: Int

        var requests: Int { buckets.reduce(0, +) }

        var labels: String { "method=\"\(Self.escaped(series.method))\",route=\"\(Self.escaped(series.route))\"" }

        private static func escaped(_ value: String) -> String {
            value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n")
        }

        /// The upper bound of the bucket the 99th percentile falls in; nil past the last one.
        var p99: Duration? {
            var seen = 0
            for (index, count) in buckets.enumerated() {
                seen += count
                if Double(seen) >= 0.99 * Double(requests) {
                    return index < RequestMetrics.buckets.count ? RequestMetrics.buckets[index] : nil
                }
            }
            return nil
        }
    }
}

/// The status codes seen so far, each given a slot the first time: after that, finding a
/// status's slot is one atomic load.
private final class StatusSlots: Sendable {
    /// Slot plus one per status code below 1000 (zero: none yet).
    private let slots = AtomicArray(count: 1000)
    private let assigned = Mutex<[String]>([])

    /// `HTTPResponse.Status` keeps codes to three digits.
    func slot(of status: Int) -> Int {
        let known = slots.load(status)
        return known > 0 ? known - 1 : assign(status)
    }

    private func assign(_ status: Int) -> Int {
        assigned.withLock { codes in
            let known = slots.load(status)
            if known > 0 { return known - 1 }
            if codes.count < RequestMetrics.statusLimit - 1 {
                codes.append(String(status))
            } else if codes.count == RequestMetrics.statusLimit - 1 {
                codes.append("other")
            }
            slots.store(status, codes.count)
            return codes.count - 1
        }
    }

    /// The label of each slot in use, in slot order.
    func codes() -> [String] { assigned.withLock { $0 } }
}

import Foundation
import Testing

@testable import SwitchyardHost

/// Counts kept per thread add up to every request, whichever threads recorded them.
@Suite struct RequestMetricsTests {
    @Test func countsFromManyThreadsAddUp() async throws {
        let metrics = try RequestMetrics()
        let route = metrics.series(.get, endpoint: "/items/{id}")
        let other = metrics.series(.post, endpoint: "/items")
        #expect(metrics.series(.get, endpoint: "/items/{id}") === route)
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for request in 0..<1_000 {
                        metrics.record(route, status: request % 10 == 0 ? 404 : 200, since: start)
                        if task == 0 { metrics.record(other, status: 201, since: start) }
                    }
                }
            }
        }
        let counts = Dictionary(uniqueKeysWithValues: metrics.snapshot().map { ("\($0.series.method) \($0.series.route)", $0) })
        #expect(counts["GET /items/{id}"]?.requests == 8_000)
        #expect(counts["GET /items/{id}"]?.statuses.map(\.status).sorted() == ["200", "404"])
        #expect(counts["GET /items/{id}"]?.statuses.first { $0.status == "404" }?.requests == 800)
        #expect(counts["POST /items"]?.requests == 1_000)
        #expect(counts["POST /items"]?.statuses.map(\.status) == ["201"])
    }

    @Test func expositionIsPrometheusText() throws {
        let metrics = try RequestMetrics()
        #expect(metrics.exposition().isEmpty)
        let series = metrics.series(.get, endpoint: nil)
        metrics.record(series, status: 404, since: .now - .milliseconds(30))
        let text = metrics.exposition()
        #expect(text.contains("# TYPE http_requests_total counter\n"))
        #expect(text.contains(#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
        #expect(text.contains(#"http_request_duration_seconds_bucket{method="GET",route="unmatched",le="0.025"} 0"#))
        #expect(text.contains(#"http_request_duration_seconds_bucket{method="GET",route="unmatched",le="0.05"} 1"#))
        #expect(text.contains(#"http_request_duration_seconds_bucket{method="GET",route="unmatched",le="+Inf"} 1"#))
        #expect(text.contains(#"http_request_duration_seconds_count{method="GET",route="unmatched"} 1"#))
        #expect(text.hasSuffix("\n"))
    }

    /// Past the limits, series and statuses share one labelled `other`: nothing is dropped.
    @Test func pastItsLimitsNothingIsLost() throws {
        let metrics = try RequestMetrics()
        for route in 0..<(RequestMetrics.seriesLimit + 10) {
            metrics.record(metrics.series(.get, endpoint: "/r\(route)"), status: 200, since: .now)
        }
        for status in 100..<(100 + RequestMetrics.statusLimit + 5) {
            metrics.record(metrics.series(.get, endpoint: "/r0"), status: status, since: .now)
        }
        let counts = metrics.snapshot()
        #expect(counts.count == RequestMetrics.seriesLimit)
        #expect(counts.map(\.requests).reduce(0, +) == RequestMetrics.seriesLimit + 10 + RequestMetrics.statusLimit + 5)
        #expect(counts.last?.series.route == "other")
        #expect(counts.last?.requests == 11)
        #expect(counts.first?.statuses.last?.status == "other")
    }
}

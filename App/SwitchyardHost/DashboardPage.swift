import FeatureKit
import Foundation
import Logging
import Synchronization

/// `/dashboard`: one HTML page (inline SVG, the stylesheet from `/pages.css`, no script) with
/// the process's uptime, request rate and p99 per route, and every enabled feature's section.
/// It reloads itself every 5 seconds. Served under `Response.pagePolicy`: nothing inline runs.
final class DashboardPage: Sendable {
    private let started = ContinuousClock.now
    private let metrics: RequestMetrics
    private let features: @Sendable () -> [MountedFeature]
    /// Request counts per route at the previous render, for the rate since then.
    private let previous = Mutex<(at: ContinuousClock.Instant, counts: [String: Int])?>(nil)

    init(metrics: RequestMetrics, features: @escaping @Sendable () -> [MountedFeature]) {
        self.metrics = metrics
        self.features = features
    }

    func render(logger: Logger) async -> String {
        let sections = await withTaskGroup(of: (Int, String).self) { group in
            for (index, mounted) in features().enumerated() {
                group.addTask { (index, await Self.section(mounted, logger: logger)) }
            }
            return await group.reduce(into: [(Int, String)]()) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let uptime = Int((ContinuousClock.now - started) / .seconds(1))
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchyard dashboard</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="5">
            <link rel="stylesheet" href="/pages.css"></head><body>
            <h1>Switchyard</h1>
            <section id="process" data-feature="process"><h2>Process</h2>
            \(HTML.figure("Uptime (s)", String(uptime), metric: "process.uptime"))
            \(routeTable())
            </section>
            \(sections.joined(separator: "\n"))
            <p class="foot">Reloads every 5 s. JSON: <a href="/features">/features</a>, <a href="/metrics">/metrics</a>, <a href="/docs">/docs</a>.</p>
            </body></html>
            """
    }

    private static func section(_ mounted: MountedFeature, logger: Logger) async -> String {
        let id = HTML.escape(mounted.id)
        do {
            guard let section = try await mounted.feature.dashboard() else { return "" }
            return
                "<section id=\"feature-\(id)\" data-feature=\"\(id)\"><h2>\(HTML.escape(section.title)) <small>\(id)</small></h2>\(section.body)</section>"
        } catch {
            // A feature whose store is down shows that, and the rest of the page still renders.
            // The public page names no hosts or users: the error itself goes to the log.
            logger.warning("dashboard section unavailable", metadata: ["feature": "\(mounted.id)", "error": "\(error)"])
            let apiError = ErrorEnvelopeMiddleware<AppRequestContext>.apiError(for: error)
            return
                "<section id=\"feature-\(id)\" data-feature=\"\(id)\"><h2>\(id)</h2><p class=\"error\">Unavailable: \(HTML.escape(apiError.message))</p></section>"
        }
    }

    /// Requests per second since the previous render and p99 per route, from the request
    /// metrics (p99 is the upper bound of the bucket it falls in).
    private func routeTable() -> String {
        let routes = Dictionary(
            metrics.snapshot().map { ("\($0.series.method) \($0.series.route)", (requests: $0.requests, p99: $0.p99)) }
        ) { first, _ in first }
        let now = ContinuousClock.now
        let last = previous.withLock { previous in
            defer { previous = (now, routes.mapValues(\.requests)) }
            return previous
        }
        let seconds = max(0.001, Double((now - (last?.at ?? started)) / .milliseconds(1)) / 1000)
        let rows = routes.keys.sorted().map { route -> [String] in
            let metrics = routes[route]!
            let rate = Double(metrics.requests - (last?.counts[route] ?? 0)) / seconds
            let p99 = metrics.p99.map { String(format: "≤ %.1f", Double($0 / .microseconds(1)) / 1000) } ?? "–"
            return [route, String(format: "%.1f", rate), metrics.requests > 0 ? p99 : "–"]
        }
        return HTML.table(["Route", "Requests/s", "p99 (ms)"], rows, metric: "process.routes")
    }

    /// The stylesheet of every page (`/pages.css`).
    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:980px}
        section{border:1px solid #ddd;border-radius:6px;padding:0 1em 1em;margin:1em 0}
        h2 small{color:#888;font-weight:normal;font-size:60%}
        table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:2px 10px;text-align:left}
        svg.bars rect{fill:#3b78c4}svg.bars text{font-size:12px}.empty,.foot{color:#888}.error{color:#b00}
        """
}

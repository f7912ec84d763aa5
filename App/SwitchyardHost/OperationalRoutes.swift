import FeatureKit
import Foundation
import Hummingbird
import Logging
import Prometheus
import SwitchyardJSON

/// `/health`, `/ready`, `/metrics`, `/features`, `/openapi.json`, `/docs`, `/dashboard`, and
/// `/` (an index) unless a feature mounted at the root answers it: always on, outside any prefix.
struct OperationalRoutes {
    let registry: PrometheusCollectorRegistry
    let metrics: RequestMetrics
    let healthChecks: @Sendable () -> [any HealthCheck]
    let features: @Sendable () -> [MountedFeature]
    let docsAssetsURL: String

    static let paths = ["/health", "/ready", "/metrics", "/features", "/openapi.json", "/docs", "/docs.js", "/dashboard", "/pages.css"]

    /// Adds the routes; returns those answered from the channel pipeline.
    func addRoutes(to router: IndexingRouter) -> ConstantRoutes {
        var constant = ConstantRoutes()
        constant.get("/health", json: ["status": "ok"], on: router)
        router.get("/ready") { _, context in try await readiness(logger: context.logger) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer() + metrics.exposition().utf8)))
        }
        router.get("/features") { _, _ in
            Response.json([
                "features": .array(
                    features().map { mounted in
                        [
                            "id": .string(mounted.id), "prefix": .string(mounted.prefix),
                            "routes": .array(mounted.routes.map { .string($0.description) }),
                        ]
                    })
            ])
        }
        let docs = DocsPage.swaggerUI(assetsURL: docsAssetsURL)
        let docsPolicy = DocsPage.policy(assetsURL: docsAssetsURL)
        router.get("/docs") { _, _ in Response.html(docs, policy: docsPolicy) }
        router.get("/docs.js") { _, _ in Response.text(DocsPage.script, type: "text/javascript; charset=utf-8") }
        router.get("/pages.css") { _, _ in Response.text(DashboardPage.style, type: "text/css; charset=utf-8") }
        let dashboard = DashboardPage(metrics: metrics, features: features)
        router.get("/dashboard") { _, context in Response.html(await dashboard.render(logger: context.logger)) }
        let rootIsTaken = features().contains { mounted in
            mounted.routes.contains { $0.method == "GET" && $0.path == "/" }
        }
        if !rootIsTaken {
            router.get("/") { _, _ in Response.html(DocsPage.index) }
        }
        // Built once: the enabled set cannot change while the process runs.
        let document = OpenAPIDocument.build(features: features()).encoded()
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
        return constant
    }

    /// Runs every check at once; 503 with one detail per failing dependency, naming it and its
    /// state only: the reason (hosts, ports, users) goes to the log, not to a public answer.
    private func readiness(logger: Logger) async throws -> Response {
        let results = await withTaskGroup(of: (String, String?).self) { group in
            for check in healthChecks() {
                group.addTask { (check.name, await check.problem()) }
            }
            return await group.reduce(into: [(String, String?)]()) { $0.append($1) }
        }
        let failures = results.compactMap { name, problem in problem.map { (name, $0) } }.sorted { $0.0 < $1.0 }
        guard failures.isEmpty else {
            for (name, problem) in failures {
                logger.warning("not ready", metadata: ["dependency": "\(name)", "problem": "\(problem)"])
            }
            let names = failures.map(\.0).joined(separator: ", ")
            throw APIError(
                .serviceUnavailable, code: "DEPENDENCY_UNAVAILABLE", message: "Not ready: \(names) unreachable.",
                details: failures.map { ["field": .string($0.0), "message": "unreachable"] })
        }
        return .json([
            "status": "ready",
            "checks": .object(Dictionary(uniqueKeysWithValues: results.map { ($0.0, JSONValue.string("ok")) })),
        ])
    }
}

extension Response {
    /// The pages' Content-Security-Policy: no script at all, styles from this server only.
    static let pagePolicy = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static func html(_ text: String, policy: String = pagePolicy) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: policy],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func text(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

import FeatureKit
import Foundation
import Hummingbird
import Prometheus
import SwitchyardJSON

/// `/health`, `/ready`, `/metrics`, `/features`, `/openapi.json`, `/docs`, `/dashboard`, and
/// `/` (an index) unless a feature mounted at the root answers it: always on, outside any prefix.
struct OperationalRoutes {
    let registry: PrometheusCollectorRegistry
    let tallies: RouteTallies
    let healthChecks: @Sendable () -> [any HealthCheck]
    let features: @Sendable () -> [MountedFeature]
    let docsAssetsURL: String

    static let paths = ["/health", "/ready", "/metrics", "/features", "/openapi.json", "/docs", "/dashboard"]

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/health") { _, _ in Response.json(["status": "ok"]) }
        router.get("/ready") { _, _ in try await readiness() }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
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
        router.get("/docs") { _, _ in Response.html(docs) }
        let dashboard = DashboardPage(tallies: tallies, features: features)
        router.get("/dashboard") { _, _ in Response.html(await dashboard.render()) }
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
    }

    /// Runs every check at once; 503 with one detail per failing dependency.
    private func readiness() async throws -> Response {
        let results = await withTaskGroup(of: (String, String?).self) { group in
            for check in healthChecks() {
                group.addTask { (check.name, await check.problem()) }
            }
            return await group.reduce(into: [(String, String?)]()) { $0.append($1) }
        }
        let failures = results.compactMap { name, problem in problem.map { (name, $0) } }.sorted { $0.0 < $1.0 }
        guard failures.isEmpty else {
            let names = failures.map(\.0).joined(separator: ", ")
            throw APIError(
                .serviceUnavailable, code: "DEPENDENCY_UNAVAILABLE", message: "Not ready: \(names) unreachable.",
                details: failures.map { ["field": .string($0.0), "message": .string($0.1)] })
        }
        return .json([
            "status": "ready",
            "checks": .object(Dictionary(uniqueKeysWithValues: results.map { ($0.0, JSONValue.string("ok")) })),
        ])
    }
}

extension Response {
    static func html(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

import FeatureKit
import Hummingbird
import Metrics

/// Counts GET hits per URL path under `/api/`, serves the ranking, and load-tests itself.
public struct PathStatsFeature: Feature {
    public static let id = "path-stats"
    public static let adminRoutes = ["POST /test/{n}"]
    public static let metricDescriptions = [
        "path_stats_hits_total": "Hits counted under /api/",
        "path_stats_distinct_paths": "Distinct paths counted, as of the last ranking read",
    ]
    let service: PathStatsService
    let profile: APIProfile
    let testMax: Int
    let adminToken: String?

    public init(_ dependencies: FeatureDependencies) async throws {
        let settings = dependencies.settings
        profile = try settings.apiProfile()
        // The original counts whole request paths: another key, so neither profile's counts
        // ever mix with the other's (README).
        let key = (settings.string("redis-key") ?? "path-stats:hits") + (profile == .original ? ":original" : "")
        let redis = dependencies.infrastructure.redis()
        let shards = try settings.int("ranking-shards", default: 1, in: 1...256)
        var service = PathStatsService(
            store: shards == 1
                ? RedisPathStatsStore(redis: redis, key: key) : ShardedPathStatsStore(redis: redis, key: key, shards: shards),
            http: dependencies.infrastructure.http(),
            serverAddress: dependencies.serverAddress,
            prefix: dependencies.prefix,
            random: dependencies.random,
            testConcurrency: try settings.int("test-concurrency", default: 64, in: 1...4096),
            hits: Counter(label: "path_stats_hits_total", factory: dependencies.metrics),
            distinctPaths: Gauge(label: "path_stats_distinct_paths", factory: dependencies.metrics))
        if profile == .original {
            service.key = PathKey.exact
            service.letters = PathGenerator.lowercase
        }
        self.service = service
        testMax = try settings.int("test-max", default: 1_000_000, in: 0...100_000_000)
        adminToken = dependencies.adminToken
    }

    public func addRoutes(to group: RouterGroup<AppRequestContext>) {
        switch profile {
        case .switchyard:
            PathStatsRoutes(service: service, testMax: testMax, adminToken: adminToken).addRoutes(to: group)
        case .original:
            PathStatsOriginalRoutes(service: service, testMax: testMax, adminToken: adminToken).addRoutes(to: group)
        }
    }

    public var openAPI: OpenAPIFragment { profile == .original ? PathStatsOpenAPI.original : PathStatsOpenAPI.fragment }

    /// The top 10 paths and the number of distinct paths: one round trip, never the whole set.
    public func dashboard() async throws -> DashboardSection? {
        let page = try await service.firstPage(offset: 0, limit: 10)
        return DashboardSection(
            title: "Top paths",
            body: HTML.figure("Distinct paths", String(page.total), metric: "path-stats.distinct")
                + HTML.barChart(page.ranking.map { ($0.path, $0.count) }, metric: "path-stats.top"))
    }
}

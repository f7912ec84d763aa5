import FeatureKit
import HTTPClient
import Hummingbird
import Metrics
import SwitchyardCore

/// Players' overall achievement levels, computed from the upstream users API.
public struct AchievementLevelFeature: Feature {
    public static let id = "achievement-level"
    public static let metricDescriptions = AchievementLevelMetrics.names.values.reduce(into: [
        "upstream_requests_total": "Calls to the users API, by status (or error)",
        "upstream_request_duration_seconds": "Latency of calls to the users API",
    ]) { descriptions, names in
        for (name, text) in zip(names, AchievementLevelMetrics.descriptions) { descriptions[name] = text }
    }
    let service: AchievementLevelService
    let metrics: AchievementLevelMetrics
    let profile: APIProfile

    public init(_ dependencies: FeatureDependencies) async throws {
        let settings = dependencies.settings
        let upstream = settings.string("upstream-url") ?? "http://127.0.0.1:8080/"
        guard upstream.hasPrefix("http://") || upstream.hasPrefix("https://") else {
            throw ConfigurationError(key: settings.fullKey("upstream-url"), problem: "'\(upstream)' is not an http(s) URL")
        }
        let retries = try settings.int("max-retries", default: 2, in: 0...10)
        let api = UsersAPI(
            baseURL: upstream.hasSuffix("/") ? String(upstream.dropLast()) : upstream,
            http: dependencies.infrastructure.http(),
            permits: FIFOSemaphore(permits: try settings.int("max-concurrency", default: 128, in: 1...10_000)),
            timeout: try settings.seconds("timeout", default: 5, in: 0.01...600),
            retry: RetryPolicy(maxRetries: retries, baseDelay: .milliseconds(20), maxDelay: .seconds(1)),
            metrics: UpstreamMetrics(factory: dependencies.metrics))
        let ttl = try settings.int("cache-ttl", default: 60, in: 0...86_400)
        let cache =
            ttl == 0
            ? nil
            : RedisLevelCache(
                redis: dependencies.infrastructure.redis(), keyPrefix: settings.string("redis-prefix") ?? Self.id,
                ttl: ttl, logger: dependencies.logger)
        service = AchievementLevelService(api: api, cache: cache)
        profile = try settings.apiProfile()
        metrics = AchievementLevelMetrics(profile: profile, factory: dependencies.metrics)
    }

    public func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        switch profile {
        case .switchyard: AchievementLevelRoutes(service: service, metrics: metrics).addRoutes(to: routes)
        case .original: AchievementLevelOriginalRoutes(service: service, metrics: metrics).addRoutes(to: routes)
        }
    }

    public var openAPI: OpenAPIFragment { profile == .original ? AchievementLevelOpenAPI.original : AchievementLevelOpenAPI.fragment }

    public var notFoundResponse: Response? { profile == .original ? AchievementLevelOriginalRoutes.notFound : nil }

    /// Users per level from the cache only: a page load never starts an upstream fan-out.
    public func dashboard() async throws -> DashboardSection? {
        guard let counts = await service.cachedLevelCounts() else {
            return DashboardSection(title: "Achievement levels", body: "<p class=\"empty\">No cached levels yet.</p>")
        }
        return DashboardSection(
            title: "Achievement levels",
            body: HTML.figure("Cached users", String(counts.values.reduce(0, +)), metric: "achievement-level.cached")
                + HTML.barChart(Level.allCases.map { ($0.rawValue, Int64(counts[$0] ?? 0)) }, metric: "achievement-level.levels"))
    }
}

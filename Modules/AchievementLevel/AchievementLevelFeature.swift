import FeatureKit
import Hummingbird
import Metrics

/// Players' overall achievement levels, computed from the upstream users API.
public struct AchievementLevelFeature: Feature {
    public static let id = "achievement-level"
    let service: AchievementLevelService
    let metrics: AchievementLevelMetrics

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
        let cache = ttl == 0 ? nil : AchievementLevelStore(
            redis: dependencies.infrastructure.redis(), keyPrefix: settings.string("redis-prefix") ?? Self.id,
            ttl: ttl, logger: dependencies.logger)
        service = AchievementLevelService(api: api, cache: cache)
        metrics = AchievementLevelMetrics(factory: dependencies.metrics)
    }

    public func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        let (service, metrics) = (self.service, self.metrics)
        routes.get("/users") { request, _ -> Response in
            let filter = try request.uri.queryParameters["level"].map { text in
                guard let level = Level(query: String(text)) else {
                    throw APIError.validation([
                        FieldError(field: "level", message: "must be one of none, bronze, silver, gold, platinum")
                    ])
                }
                return level
            }
            let levels = try await metrics.allLevels(filtered: filter != nil) {
                try await service.levels(filter: filter)
            }
            return Response.json(.array(levels.map(\.json)))
        }
        routes.get("/users/{id}") { _, context -> Response in
            let id = try parseInt(try context.parameters.require("id"), field: "id", in: 0...Int(Int32.max))
            let level = try await metrics.userLevel { try await service.level(userID: Int64(id)) }
            return Response.json(level.json)
        }
    }

    public var openAPI: OpenAPIFragment { AchievementLevelOpenAPI.fragment }

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

/// The route metrics whose names the spec fixes.
struct AchievementLevelMetrics: Sendable {
    let allRequests, filteredRequests, userRequests: Counter
    let allDuration, userDuration: Metrics.Timer

    init(factory: any MetricsFactory) {
        allRequests = Counter(label: "get_all_users_levels_request_count", factory: factory)
        filteredRequests = Counter(label: "get_all_users_levels_filtered_request_count", factory: factory)
        userRequests = Counter(label: "get_user_level_request_count", factory: factory)
        allDuration = Metrics.Timer(label: "get_all_users_levels_duration", factory: factory)
        userDuration = Metrics.Timer(label: "get_user_level_duration", factory: factory)
    }

    func allLevels<T>(filtered: Bool, _ body: () async throws -> T) async rethrows -> T {
        (filtered ? filteredRequests : allRequests).increment()
        return try await timed(allDuration, body)
    }

    func userLevel<T>(_ body: () async throws -> T) async rethrows -> T {
        userRequests.increment()
        return try await timed(userDuration, body)
    }

    private func timed<T>(_ timer: Metrics.Timer, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { timer.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1))) }
        return try await body()
    }
}

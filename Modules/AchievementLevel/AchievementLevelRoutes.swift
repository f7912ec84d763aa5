import FeatureKit
import Hummingbird
import Metrics

/// HTTP only: parses the query and path, calls the service, encodes what it returns.
struct AchievementLevelRoutes: Sendable {
    let service: AchievementLevelService
    let metrics: AchievementLevelMetrics

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/users", use: users)
        routes.get("/users/{id}", use: user)
    }

    @Sendable func users(_ request: Request, context: AppRequestContext) async throws -> Response {
        let filter = try request.uri.queryParameters["level"].map { text in
            guard let level = Level(query: String(text)) else {
                throw APIError.validation([FieldError(field: "level", message: "must be one of none, bronze, silver, gold, platinum")])
            }
            return level
        }
        let levels = try await metrics.allLevels(filtered: filter != nil) { try await service.levels(filter: filter) }
        return .json(.array(levels.map(\.json)))
    }

    @Sendable func user(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try parseInt(try context.parameters.require("id"), field: "id", in: 0...Int(Int32.max))
        return .json(try await metrics.userLevel { try await service.level(userID: Int64(id)) }.json)
    }
}

/// The route metrics: Prometheus-style names (`_total`, `_seconds`) by default; the original
/// profile keeps the games-platform test's names, which its dashboards read.
struct AchievementLevelMetrics: Sendable {
    static let names: [APIProfile: [String]] = [
        .switchyard: [
            "achievement_level_users_requests_total", "achievement_level_users_filtered_requests_total",
            "achievement_level_user_requests_total", "achievement_level_users_duration_seconds",
            "achievement_level_user_duration_seconds",
        ],
        .original: [
            "get_all_users_levels_request_count", "get_all_users_levels_filtered_request_count", "get_user_level_request_count",
            "get_all_users_levels_duration", "get_user_level_duration",
        ],
    ]
    static let descriptions = [
        "Unfiltered GET /users requests", "GET /users?level= requests", "GET /users/{id} requests",
        "GET /users latency in seconds", "GET /users/{id} latency in seconds",
    ]

    let allRequests, filteredRequests, userRequests: Counter
    let allDuration, userDuration: Metrics.Timer

    init(profile: APIProfile, factory: any MetricsFactory) {
        let names = Self.names[profile]!
        allRequests = Counter(label: names[0], factory: factory)
        filteredRequests = Counter(label: names[1], factory: factory)
        userRequests = Counter(label: names[2], factory: factory)
        allDuration = Metrics.Timer(label: names[3], factory: factory)
        userDuration = Metrics.Timer(label: names[4], factory: factory)
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

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

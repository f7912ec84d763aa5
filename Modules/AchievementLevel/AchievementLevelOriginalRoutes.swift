import FeatureKit
import Hummingbird
import SwitchyardJSON

/// The games-platform technical test's API (`features.achievement-level.api = original`): the
/// same levels, users passed through as upstream sent them, and its errors: the upstream's own
/// status in `{"message", "status_code"}` (502 when no answer came), the whole list failing
/// with the first user's failure.
struct AchievementLevelOriginalRoutes: Sendable {
    let service: AchievementLevelService
    let metrics: AchievementLevelMetrics

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/users", use: users)
        routes.get("/users/{id}", use: user)
    }

    @Sendable func users(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.originalErrors {
            let filter = request.uri.queryParameters["level"].map { Level(query: String($0)) }
            let levels = try await metrics.allLevels(filtered: filter != nil) { try await service.levels(filter: nil, strict: true) }
            // An unknown or empty level matches nobody, as in the original.
            let matching = filter.map { wanted in levels.filter { $0.level == wanted } } ?? levels
            return .json(.array(matching.map(\.fullJSON)))
        }
    }

    @Sendable func user(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.originalErrors {
            // Flask's `<int:id>` matches digits only: anything else is no route at all.
            guard let id = context.parameters.get("id").flatMap(Int64.init), id >= 0 else { return Self.notFound }
            return .json(try await metrics.userLevel { try await service.level(userID: id) }.fullJSON)
        }
    }

    /// `{"message", "status_code"}` with the upstream's status (404 for a missing user), or
    /// 502 when upstream gave no answer; other errors keep the envelope.
    static func originalErrors(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as APIError where error.code == "USER_NOT_FOUND" || error.code == "UPSTREAM_ERROR" {
            let status = error.code == "USER_NOT_FOUND" ? 404 : error.details.lazy.compactMap { $0["status"]?.intValue }.first.map(Int.init) ?? 502
            return message(error.message, status: status)
        }
    }

    static func message(_ text: String, status: Int) -> Response {
        .json(["message": .string(text), "status_code": .int(Int64(status))], status: .init(code: status))
    }

    /// The original's answer to a request that matches no route.
    static let notFound = message("The requested URL was not found on the server.", status: 404)
}

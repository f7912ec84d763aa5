import FeatureKit
import Hummingbird
import SwitchyardCore
import SwitchyardJSON

/// HTTP only: calls the service and encodes what it returns.
struct UserPointsRoutes: Sendable {
    let service: UserPointsService
    let adminToken: String?

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/", use: query)
        addOperatorRoutes(to: routes)
    }

    func addOperatorRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/state", use: state)
        routes.group("/refresh").add(middleware: AdminAuthMiddleware(token: adminToken)).post(use: refresh)
    }

    @Sendable func query(_ request: Request, context: AppRequestContext) async throws -> Response {
        let answer = try await service.query()
        return .json(["users": answer.usersJSON, "timestamp": answer.timestampJSON])
    }

    @Sendable func state(_ request: Request, context: AppRequestContext) async throws -> Response {
        .json(Self.json(try await service.status()))
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> Response {
        .json(Self.json(try await service.refreshNow()))
    }

    static func json(_ status: RefreshStatus) -> JSONValue {
        let state = status.state
        return [
            "min_number": .int(Int64(state.minNumber)),
            "generation": .int(Int64(state.generation)),
            "users": .int(Int64(state.users)),
            "refreshed_at": state.refreshedAt.map { .string(iso8601($0)) } ?? .null,
            "last_refresh_ms": state.lastRefreshMilliseconds.map { .int(Int64($0)) } ?? .null,
            "next_refresh_at": .string(iso8601(status.nextRefreshAt)),
        ]
    }
}

extension PointsAnswer {
    var usersJSON: JSONValue { .array(users.map { ["id": .int(Int64($0.id)), "points": .int(Int64($0.points))] }) }
    var timestampJSON: JSONValue { previousQueryMicroseconds.map { .string(iso8601(microseconds: $0)) } ?? .null }
}

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
        return .json(encoded: answer.json)
    }

    @Sendable func state(_ request: Request, context: AppRequestContext) async throws -> Response {
        .json(try await service.status().json)
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> Response {
        .json(try await service.refreshNow().json)
    }
}

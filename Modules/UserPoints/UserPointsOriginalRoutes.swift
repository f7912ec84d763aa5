import FeatureKit
import Hummingbird
import SwitchyardJSON

/// The friendly service's API (`features.user-points.api = original`): the same query under
/// the seed's field names. The operators' `/state` and `/refresh` stay as in the default profile.
struct UserPointsOriginalRoutes: Sendable {
    let service: UserPointsService

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/", use: query)
    }

    @Sendable func query(_ request: Request, context: AppRequestContext) async throws -> Response {
        let answer = try await service.query()
        return .json(encoded: answer.originalJSON)
    }

    /// Phoenix's 404, which the original's clients see for anything else.
    static let notFound = Response.json(["errors": ["detail": "Not Found"]], status: .notFound)
}

import FeatureKit
import Hummingbird
import SwitchyardJSON

/// The Close challenge reference's API (`features.path-stats.api = original`): text answers,
/// the whole request path as the key (its own sorted set), `{"URL request counts": [...]}`.
struct PathStatsOriginalRoutes: Sendable {
    let service: PathStatsService
    let testMax: Int
    let adminToken: String?
    let chunks = RankingChunks()

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/api/**", use: hit)
        routes.get("/stats", use: ranking)
        routes.group("/test").add(middleware: AdminAuthMiddleware(token: adminToken)).post("/{n}", use: loadTest)
    }

    /// The key is the whole request path, slashes as sent (`/api/a`, `/api/a/` and `/api//a`
    /// are three keys), which the router's match does not keep: it leaves runs of slashes out.
    @Sendable func hit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let counted = try await service.hit(path: Substring(request.uri.path))
        return Self.text("Request \(HTML.escape(counted.path)) finished")
    }

    @Sendable func ranking(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await rankingResponse(service, offset: 0, limit: nil, Self.ranking, chunks)
    }

    @Sendable func loadTest(_ request: Request, context: AppRequestContext) async throws -> Response {
        let n = try parseInt(try context.parameters.require("n"), field: "n", in: 0...testMax)
        _ = try await service.loadTest(requests: n)
        return Self.text("Finished test run with \(n) requests")
    }

    static let ranking = RankingFormat(
        opening: #"{"URL request counts":["#, closing: "]}", pathKey: "url", countKey: "request_count")

    /// Flask's answer to a view that returns a string (HTML, so any text in it is escaped); no
    /// script may run in it.
    static func text(_ body: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: "default-src 'none'"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

import FeatureKit
import Hummingbird
import SwitchyardJSON

/// The Close challenge reference's API (`features.path-stats.api = original`): text answers,
/// the whole request path as the key (its own sorted set), `{"URL request counts": [...]}`.
struct PathStatsOriginalRoutes: Sendable {
    let service: PathStatsService
    let prefix: String
    let testMax: Int
    let adminToken: String?
    let chunks = RankingChunks()

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/api/**") { request, _ in
            let counted = try await service.hit(requestPath: pathAfterPrefix(request, prefix: prefix))
            return Self.text("Request \(HTML.escape(counted.path)) finished")
        }
        routes.get("/stats") { _, _ in try await rankingResponse(service, offset: 0, limit: nil, Self.ranking, chunks) }
        routes.group("/test").add(middleware: AdminAuthMiddleware(token: adminToken))
            .post("/{n}") { _, context -> Response in
                let n = try parseInt(try context.parameters.require("n"), field: "n", in: 0...testMax)
                _ = try await service.loadTest(requests: n)
                return Self.text("Finished test run with \(n) requests")
            }
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

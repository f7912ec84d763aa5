import FeatureKit
import Hummingbird

/// HTTP in and out; the rules are the service's.
struct PathStatsRoutes: Sendable {
    let service: PathStatsService
    let prefix: String
    let testMax: Int
    let adminToken: String?

    /// Ranking rows fetched from Redis per round trip while streaming.
    static let chunkSize = 1000

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/api/**") { request, _ in
            Response.cachedJSON(try await service.hit(requestPath: pathAfterPrefix(request, prefix: prefix)).json)
        }
        routes.get("/stats") { request, _ in
            let offset = try request.queryInt("offset", in: 0...Int(Int32.max)) ?? 0
            return try await rankingResponse(service, offset: offset, limit: try request.queryInt("limit", in: 1...100_000), .array)
        }
        routes.get("/stats/**") { request, _ in
            Response.cachedJSON(try await service.count(rawPath: pathAfterPrefix(request, prefix: prefix).dropFirst("/stats".count)).json)
        }
        routes.group("/test").add(middleware: AdminAuthMiddleware(token: adminToken))
            .post("/{n}") { _, context -> Response in
                let n = try parseInt(try context.parameters.require("n"), field: "n", in: 0...testMax)
                return .json(try await service.loadTest(requests: n).json)
            }
    }
}

/// The request path as the client sent it (escapes kept, no query), after the feature prefix.
func pathAfterPrefix(_ request: Request, prefix: String) -> Substring {
    let path = request.uri.path
    return Substring(path.utf8.dropFirst(prefix == "/" ? 0 : prefix.utf8.count))
}

/// How a ranking is written: its opening and closing text and one row.
struct RankingFormat: Sendable {
    let opening: String
    let closing: String
    let row: @Sendable (PathCount) -> String

    static let array = RankingFormat(opening: "[", closing: "]") { $0.json }

    func rows(_ chunk: [PathCount]) -> String {
        chunk.map(row).joined(separator: ",")
    }
}

/// Streams the ranks from `offset` (all of them, or `limit`) in chunks, so memory stays flat
/// however many paths exist. The count and the first chunk come in one round trip before the
/// status is sent, so a Redis outage still answers 503, and a page that fits one chunk is sent
/// as one buffer.
func rankingResponse(_ service: PathStatsService, offset: Int, limit: Int?, _ format: RankingFormat) async throws -> Response {
    let chunkSize = PathStatsRoutes.chunkSize
    let (total, firstChunk) = try await service.firstPage(offset: offset, limit: min(chunkSize, limit ?? chunkSize))
    let end = limit.map { min(total, offset + $0) } ?? total
    var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
    headers[.xTotalCount] = String(total)
    if offset + firstChunk.count >= end {
        let text = format.opening + format.rows(firstChunk) + format.closing
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    let body = ResponseBody { writer in
        var chunk = firstChunk
        var position = offset
        var separator = format.opening
        while !chunk.isEmpty {
            try await writer.write(ByteBuffer(string: separator + format.rows(chunk)))
            separator = ","
            position += chunk.count
            chunk = position < end ? try await service.ranking(offset: position, limit: min(chunkSize, end - position)) : []
        }
        try await writer.write(ByteBuffer(string: format.closing))
        try await writer.finish(nil)
    }
    return Response(status: .ok, headers: headers, body: body)
}

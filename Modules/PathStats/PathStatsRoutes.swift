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
            jsonResponse(try await service.hit(rawPath: rawPath(request, after: "/api")).json)
        }
        routes.get("/stats") { request, _ in try await ranking(request) }
        routes.get("/stats/**") { request, _ in
            jsonResponse(try await service.count(rawPath: rawPath(request, after: "/stats")).json)
        }
        routes.group("/test").add(middleware: AdminAuthMiddleware(token: adminToken))
            .post("/{n}") { _, context -> Response in
                let n = try parseInt(try context.parameters.require("n"), field: "n", in: 0...testMax)
                return .json(try await service.loadTest(requests: n).json)
            }
    }

    /// The path as the client sent it (escapes kept), after the feature prefix and `marker`.
    private func rawPath(_ request: Request, after marker: String) -> Substring {
        let path = request.uri.path
        let skip = (prefix == "/" ? 0 : prefix.utf8.count) + marker.utf8.count
        return path.utf8.count > skip ? Substring(path.utf8.dropFirst(skip)) : ""
    }

    /// Streams the requested ranks in chunks, so memory stays flat however many paths exist.
    /// The count and the first chunk come in one round trip before the status is sent, so a
    /// Redis outage still answers 503, and a page that fits one chunk is sent as one buffer.
    private func ranking(_ request: Request) async throws -> Response {
        let offset = try request.queryInt("offset", in: 0...Int(Int32.max)) ?? 0
        let limit = try request.queryInt("limit", in: 1...100_000)
        let firstLimit = min(Self.chunkSize, limit ?? Self.chunkSize)
        let (total, firstChunk) = try await service.firstPage(offset: offset, limit: firstLimit)
        let end = limit.map { min(total, offset + $0) } ?? total
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers[.xTotalCount] = String(total)
        if offset + firstChunk.count >= end {
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: jsonArray(firstChunk))))
        }
        let service = self.service
        let body = ResponseBody { writer in
            var chunk = firstChunk
            var position = offset
            var opening = "["
            while !chunk.isEmpty {
                let text = chunk.map(\.json).joined(separator: ",")
                try await writer.write(ByteBuffer(string: opening + text))
                opening = ","
                position += chunk.count
                chunk = position < end ? try await service.ranking(offset: position, limit: min(Self.chunkSize, end - position)) : []
            }
            try await writer.write(ByteBuffer(string: "]"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

private func jsonArray(_ rows: [PathCount]) -> String {
    "[" + rows.map(\.json).joined(separator: ",") + "]"
}

private func jsonResponse(_ text: String) -> Response {
    Response(
        status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
        body: .init(byteBuffer: ByteBuffer(string: text)))
}

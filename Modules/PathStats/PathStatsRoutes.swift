import FeatureKit
import Hummingbird
import SwitchyardCore
import SwitchyardJSON

/// HTTP in and out; the rules are the service's. Paths come from the router's catch-all, its
/// empty segments left out: that is the key's normalisation of slashes already.
struct PathStatsRoutes: Sendable {
    let service: PathStatsService
    let testMax: Int
    let adminToken: String?
    let chunks = RankingChunks()

    /// Ranking rows fetched with the count, before the status is sent.
    static let chunkSize = 1000
    /// Ranking rows fetched from Redis per round trip while streaming the rest.
    static let streamChunkSize = 5000

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/api/**", use: hit)
        routes.get("/stats", use: ranking)
        routes.get("/stats/**", use: count)
        routes.group("/test").add(middleware: AdminAuthMiddleware(token: adminToken)).post("/{n}", use: loadTest)
    }

    @Sendable func hit(_ request: Request, context: AppRequestContext) async throws -> Response {
        .cachedJSON(try await service.hit(path: Self.caughtPath(context)).json)
    }

    @Sendable func ranking(_ request: Request, context: AppRequestContext) async throws -> Response {
        let offset = try request.queryInt("offset", in: 0...Int(Int32.max)) ?? 0
        let limit = try request.queryInt("limit", in: 1...100_000)
        return try await rankingResponse(service, offset: offset, limit: limit, .array, chunks)
    }

    @Sendable func count(_ request: Request, context: AppRequestContext) async throws -> Response {
        .cachedJSON(try await service.count(path: Self.caughtPath(context)).json)
    }

    @Sendable func loadTest(_ request: Request, context: AppRequestContext) async throws -> Response {
        let n = try parseInt(try context.parameters.require("n"), field: "n", in: 0...testMax)
        return .json(try await service.loadTest(requests: n).json)
    }

    /// What the route's `**` matched, as the client sent it (escapes kept; `PathKey` drops
    /// the empty segments).
    static func caughtPath(_ context: AppRequestContext) -> Substring {
        context.parameters[Parameters.recursiveCaptureKey] ?? ""
    }
}

/// How a ranking is written: its opening and closing text, and each row as
/// `{"<pathKey>":"...","<countKey>":N}`, written as bytes into one buffer per chunk (a full
/// ranking is ten thousand rows and more).
struct RankingFormat: Sendable {
    let opening: String
    let closing: String
    let pathKey: String
    let countKey: String

    static let array = RankingFormat(opening: "[", closing: "]", pathKey: "path", countKey: "count")

    /// `separator` then the rows, comma-separated.
    func rows(_ chunk: [PathCount], after separator: String = "") -> ByteBuffer {
        let rowOpening = Array("{\"\(pathKey)\":".utf8)
        let rowMiddle = Array(",\"\(countKey)\":".utf8)
        var out: [UInt8] = Array(separator.utf8)
        out.reserveCapacity(separator.utf8.count + chunk.count * 48)
        for (index, row) in chunk.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: rowOpening)
            writeQuoted(row.path, to: &out)
            out.append(contentsOf: rowMiddle)
            out.append(contentsOf: String(row.count).utf8)
            out.append(UInt8(ascii: "}"))
        }
        return ByteBuffer(bytes: out)
    }

    /// `rows` with the count of rows it holds.
    func written(_ chunk: [PathCount], after separator: String = "") -> WrittenRows {
        WrittenRows(rows: chunk.count, bytes: rows(chunk, after: separator))
    }
}

/// Ranks already written as JSON, and how many rows they hold.
struct WrittenRows: Sendable {
    let rows: Int
    let bytes: ByteBuffer
}

/// A ranking's count and first chunk: the opening and the rows, with the closing too when the
/// chunk is the whole answer.
struct FirstChunk: Sendable {
    let total: Int
    let written: WrittenRows
    let complete: Bool
    /// Where the store reads on by cursor (sharded), each stream's own copy of it.
    let rest: (any RankingCursor)?
}

/// The chunks of rankings, each read and written once for every request that gathered for it
/// (`CoalescedReads`: only a read sent after all of them arrived, so each chunk is as fresh as
/// a read of the request's own). Streams of the full ranking ask for the same chunks (same
/// offsets, same sizes), so concurrent ones share most of their reads and writing.
struct RankingChunks: Sendable {
    let first = CoalescedReads<FirstChunk>()
    let later = CoalescedReads<WrittenRows>()
}

/// Streams the ranks from `offset` (all of them, or `limit`) in chunks, so memory stays flat
/// however many paths exist. The count and the first chunk come in one round trip before the
/// status is sent, so a Redis outage still answers 503, and a page that fits one chunk is sent
/// as one buffer.
func rankingResponse(
    _ service: PathStatsService, offset: Int, limit: Int?, _ format: RankingFormat, _ chunks: RankingChunks
) async throws -> Response {
    let chunkSize = PathStatsRoutes.chunkSize
    let endOf = { @Sendable (total: Int) in limit.map { min(total, offset + $0) } ?? total }
    let first = try await chunks.first.value(for: "\(offset) \(limit.map(String.init) ?? "all")") {
        let page = try await service.firstPage(offset: offset, limit: min(chunkSize, limit ?? chunkSize))
        let total = Int(page.total)
        var bytes = format.rows(page.ranking, after: format.opening)
        let complete = offset + page.ranking.count >= endOf(total)
        if complete { bytes.writeString(format.closing) }
        return FirstChunk(
            total: total, written: WrittenRows(rows: page.ranking.count, bytes: bytes), complete: complete, rest: page.rest)
    }
    let end = endOf(first.total)
    var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
    headers[.xTotalCount] = String(first.total)
    if first.complete {
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: first.written.bytes))
    }
    let body = ResponseBody { writer in
        try await writer.write(first.written.bytes)
        var (position, rows) = (offset + first.written.rows, first.written.rows)
        var cursor = first.rest
        // Until the end, or a chunk that comes back empty (paths removed meanwhile).
        while rows > 0, position < end {
            let (start, size) = (position, min(PathStatsRoutes.streamChunkSize, end - position))
            let written: WrittenRows
            if var reader = cursor {
                written = format.written(try await reader.next(size), after: ",")
                cursor = reader
            } else {
                written = try await chunks.later.value(for: "\(start) \(size)") {
                    format.written(try await service.ranking(offset: start, limit: size), after: ",")
                }
            }
            if written.rows > 0 { try await writer.write(written.bytes) }
            (position, rows) = (position + written.rows, written.rows)
        }
        try await writer.write(ByteBuffer(string: format.closing))
        try await writer.finish(nil)
    }
    return Response(status: .ok, headers: headers, body: body)
}

import Hummingbird
import NIOCore

/// After a 413 (too large) or a 429 (no room to wait) the rest of the body is not wanted, but a
/// client that sends its whole
/// body before it reads (urllib, requests, most simple clients) only sees the answer if the body
/// is read: left unread, its send blocks, and closing the connection under it is a broken pipe.
/// So, as nginx's lingering close does: the answer is written, the connection's output closed
/// (the client sees the end of the answer), and what is still arriving is read and discarded
/// at full speed for at most `drainTime` and `drainBytes`, then the connection is closed.
///
/// A request body can be iterated once; the handler gets one read through an iterator this
/// middleware keeps, so that it can go on reading where the handler stopped.
public struct RefusedBodyDrain: RouterMiddleware {
    public typealias Context = AppRequestContext
    let drainTime: TimeAmount
    let drainBytes: Int

    public init(drainTime: TimeAmount = .seconds(30), drainBytes: Int = 256 << 20) {
        self.drainTime = drainTime
        self.drainBytes = drainBytes
    }

    @concurrent public func handle(
        _ request: Request, context: AppRequestContext, next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard Self.hasBody(request) else { return try await next(request, context) }
        let shared = SharedBodyIterator(request.body)
        var request = request
        request.body = RequestBody(asyncSequence: SharedBody(shared: shared))
        var response = try await next(request, context)
        guard response.status == .contentTooLarge || response.status == .tooManyRequests, !shared.finished else { return response }
        let (body, channel, drainTime, drainBytes) = (response.body, context.channel, drainTime, drainBytes)
        response.headers[.connection] = "close"
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            try await body.write(writer)
            channel.eventLoop.execute {
                channel.close(mode: .output, promise: nil)
                // The time bound: closing ends the read below.
                channel.eventLoop.scheduleTask(in: drainTime) { channel.close(promise: nil) }
            }
            var drained = 0
            do {
                while let part = try await shared.next(), drained <= drainBytes {
                    drained += part.readableBytes
                }
            } catch {
                // The connection closed under the read (the time bound, or the client): done.
            }
            channel.close(promise: nil)
        }
        return response
    }
}

extension RefusedBodyDrain {
    /// The request declares a body: chunked, or a length above zero.
    public static func hasBody(_ request: Request) -> Bool {
        request.headers[.transferEncoding] != nil || (request.headers[.contentLength].flatMap { Int($0) } ?? 0) > 0
    }
}

/// One request body iterator, used by one task at a time: the handler, then the middleware.
final class SharedBodyIterator: @unchecked Sendable {
    private var iterator: RequestBody.AsyncIterator
    /// The whole body has been read: nothing is left to drain.
    private(set) var finished = false

    init(_ body: RequestBody) {
        iterator = body.makeAsyncIterator()
    }

    func next() async throws -> ByteBuffer? {
        let part = try await iterator.next()
        if part == nil { finished = true }
        return part
    }
}

struct SharedBody: AsyncSequence, Sendable {
    let shared: SharedBodyIterator

    struct AsyncIterator: AsyncIteratorProtocol {
        let shared: SharedBodyIterator
        func next() async throws -> ByteBuffer? { try await shared.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(shared: shared) }
}

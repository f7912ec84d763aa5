import Hummingbird
import NIOCore

/// After a 413 the rest of an oversized body is not wanted, and a client still sending it
/// would wait on a connection that reads it only to throw it away: the answer is written, the
/// connection's output is closed (the client sees the end of the answer), and what is still
/// arriving is drained for at most `drainTime` before the connection is closed.
public struct PayloadTooLargeClose: RouterMiddleware {
    public typealias Context = AppRequestContext
    let drainTime: TimeAmount

    public init(drainTime: TimeAmount = .seconds(2)) {
        self.drainTime = drainTime
    }

    public func handle(
        _ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        guard response.status == .contentTooLarge else { return response }
        let (body, channel, drainTime) = (response.body, context.channel, drainTime)
        response.headers[.connection] = "close"
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            try await body.write(writer)
            channel.eventLoop.execute {
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: drainTime) { channel.close(promise: nil) }
            }
        }
        return response
    }
}

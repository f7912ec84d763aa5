import Hummingbird
import NIOCore

/// The request context every route of every feature sees.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Request body cap, set per request by `BodyLimitMiddleware` from `http.max-body-size`.
    public var maxUploadSize: Int
    /// The event loop of the request's connection.
    public let eventLoop: any EventLoop
    /// The request's connection, for the rare answer that must end it (`RefusedBodyDrain`).
    public let channel: any Channel
    /// Set by `EventLoopAffinityMiddleware` on requests with a large body: parsing it takes a turn.
    public var largeBodyTurns: LargeBodyTurns?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.maxUploadSize = 1 << 20
        self.eventLoop = source.channel.eventLoop
        self.channel = source.channel
    }
}

/// Applies the configured body cap to every request.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let maxBodySize: Int

    public init(maxBodySize: Int) {
        self.maxBodySize = maxBodySize
    }

    @concurrent public func handle(
        _ request: Request, context: AppRequestContext,
        next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.maxUploadSize = maxBodySize
        return try await next(request, context)
    }
}

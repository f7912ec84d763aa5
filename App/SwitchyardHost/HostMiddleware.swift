import FeatureKit
import Hummingbird

/// The one middleware around every route, doing in one call what four middlewares wrapping
/// each other did: the error envelope for every request, and for a request with a body the
/// body cap, the move of a large body off the event loop and the drain of a refused one, in
/// that order. A request without a body (most of them) reaches its route through one frame.
/// Request metrics are counted around the router (`IndexedResponder`).
struct HostMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let envelope: ErrorEnvelopeMiddleware<AppRequestContext>
    let bodyLimit: BodyLimitMiddleware
    let drain: RefusedBodyDrain
    let affinity: EventLoopAffinityMiddleware

    @concurrent func handle(
        _ request: Request, context: AppRequestContext,
        next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        if RefusedBodyDrain.hasBody(request) {
            try await handleWithBody(request, context: context, next: next)
        } else {
            try await envelope.handle(request, context: context, next: next)
        }
    }

    @concurrent private func handleWithBody(
        _ request: Request, context: AppRequestContext,
        next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        try await drain.handle(request, context: context) { request, context in
            try await envelope.handle(request, context: context) { request, context in
                try await bodyLimit.handle(request, context: context) { request, context in
                    try await affinity.handle(request, context: context, next: next)
                }
            }
        }
    }
}

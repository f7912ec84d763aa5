import Hummingbird
import Logging

/// Turns every error a route (or the router itself) throws into the spec's JSON envelope.
/// Added before any route, so it also wraps the router's 404 for unknown paths, which
/// `notFound` replaces when a root-mounted feature speaks its original's API.
public struct ErrorEnvelopeMiddleware<Context: RequestContext>: RouterMiddleware {
    let notFound: Response?

    public init(notFound: Response? = nil) {
        self.notFound = notFound
    }

    @concurrent public func handle(
        _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let notFound, (error as? HTTPError)?.status == .notFound { return notFound }
            let apiError = Self.apiError(for: error)
            if apiError.status == .internalServerError {
                // Full detail goes to the log only; the client sees the generic envelope.
                context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            }
            return apiError.response()
        }
    }

    /// The envelope an error answers with; `.internalError` for any error that does not know it.
    public static func apiError(for error: any Error) -> APIError {
        switch error {
        case let apiError as APIError:
            return apiError
        case let convertible as any APIErrorConvertible:
            return convertible.apiError
        case let httpError as HTTPError:
            return apiError(for: httpError)
        default:
            return .internalError
        }
    }

    private static func apiError(for error: HTTPError) -> APIError {
        switch error.status {
        case .notFound: .notFound("No route matches \(error.body ?? "this path").")
        case .contentTooLarge: .payloadTooLarge("The request body is over the size limit.")
        case .badRequest: .badRequest(error.body ?? "The request is malformed.")
        case .unauthorized: .unauthorized()
        default:
            APIError(
                error.status, code: error.status.reasonPhrase.uppercased().replacingOccurrences(of: " ", with: "_"),
                message: error.body ?? error.status.reasonPhrase)
        }
    }
}

/// Errors of shared infrastructure (Redis, PostgreSQL, upstream HTTP) that know their envelope.
public protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

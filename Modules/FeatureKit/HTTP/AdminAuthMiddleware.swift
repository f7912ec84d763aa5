import Hummingbird

/// Guards load-generating and data-resetting routes with `Authorization: Bearer <admin token>`
/// when `auth.admin-token` is set; lets everything through when it is not.
public struct AdminAuthMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let token: String?

    public init(token: String?) {
        self.token = token
    }

    @concurrent public func handle(
        _ request: Request, context: AppRequestContext,
        next: @concurrent (Request, AppRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let token else { return try await next(request, context) }
        let presented = request.headers[.authorization] ?? ""
        guard Self.constantTimeEquals(Array(presented.utf8), Array("Bearer \(token)".utf8)) else {
            throw APIError.unauthorized()
        }
        return try await next(request, context)
    }

    /// Compares without an early exit so response time does not reveal how much of a guess matched.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }
}

import FeatureKit
import Hummingbird
import SwitchyardJSON

/// The nameko-devex gateway's API (`features.products-orders.api = original`) over the same
/// service: 200s, a POST that overwrites, the study case's `GET /products/delete/{id}` and
/// `GET /orders/list/{page}`, orders without `created_at`, and `{"error", "message"}` errors
/// with its codes and texts. JSON is read whatever the Content-Type says.
struct ProductsOrdersOriginalRoutes: Sendable {
    let service: ProductsOrdersService
    /// Orders per `/orders/list/{page}` page.
    static let pageSize = 5

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.post("/products", use: putProduct)
        routes.get("/products/{id}", use: product)
        routes.get("/products/delete/{id}", use: deleteProduct)
        routes.delete("/products/{id}", use: deleteProduct)
        routes.post("/orders", use: createOrder)
        routes.get("/orders/{id}", use: order)
        routes.get("/orders/list/{page}", use: orderList)
    }

    @Sendable func putProduct(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.originalErrors(context) {
            let product = try ProductsOrdersValidation.newProduct(from: try await request.jsonBody(context: context, anyMediaType: true))
            try await service.putProduct(product)
            return .json(["id": .string(product.id)])
        }
    }

    @Sendable func product(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.originalErrors(context) {
            .json(try await service.product(try ProductsOrdersRoutes.productID(context)).json)
        }
    }

    /// `{"status": "ok"}` whether or not the product existed, as the original answered.
    @Sendable func deleteProduct(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.originalErrors(context) {
            do {
                try await service.deleteProduct(try ProductsOrdersRoutes.productID(context))
            } catch let error as APIError where error.code == "PRODUCT_NOT_FOUND" {}
            return .json(["status": "ok"])
        }
    }

    @Sendable func createOrder(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.originalErrors(context) {
            let lines = try ProductsOrdersValidation.orderLines(from: try await request.jsonBody(context: context, anyMediaType: true))
            return .json(["id": .int(try await service.createOrder(lines))])
        }
    }

    @Sendable func order(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.originalErrors(context) {
            let id = try parseInt(try context.parameters.require("id"), field: "id", in: 1...Int.max)
            return .json(try await service.order(Int64(id)).originalJSON)
        }
    }

    @Sendable func orderList(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.originalErrors(context) {
            let page = try parseInt(try context.parameters.require("page"), field: "page", in: 1...(Int.max / Self.pageSize))
            return .json(.array(try await service.orderPage(number: page, size: Self.pageSize).map(\.originalJSON)))
        }
    }

    /// `{"error", "message"}` only, in the original's words for what it knew; a bug is its
    /// 500 `UNEXPECTED_ERROR` (logged, never described).
    static func originalErrors(
        _ context: AppRequestContext, _ body: () async throws -> Response
    ) async throws -> Response {
        do {
            return try await body()
        } catch {
            let apiError = ErrorEnvelopeMiddleware<AppRequestContext>.apiError(for: error)
            let detail = apiError.details.first
            let message: String
            switch apiError.code {
            case "PRODUCT_NOT_FOUND": message = "Product Id \(detail?["product_id"]?.stringValue ?? "")"
            case "ORDER_NOT_FOUND": message = "Order with id \(detail?["order_id"]?.intValue.map(String.init) ?? "") not found"
            case "INTERNAL_ERROR":
                context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
                message = apiError.message
            default: message = apiError.message
            }
            let code = apiError.code == "INTERNAL_ERROR" ? "UNEXPECTED_ERROR" : apiError.code
            return .json(["error": .string(code), "message": .string(message)], status: apiError.status, headers: apiError.headers)
        }
    }
}

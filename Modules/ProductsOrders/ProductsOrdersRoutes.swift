import FeatureKit
import Hummingbird
import SwitchyardCore
import SwitchyardJSON

/// HTTP only: decodes and validates, calls the service, encodes what it returns.
struct ProductsOrdersRoutes: Sendable {
    let service: ProductsOrdersService

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.post("/products", use: createProduct)
        routes.get("/products", use: listProducts)
        routes.get("/products/{id}", use: product)
        routes.patch("/products/{id}", use: updateProduct)
        routes.delete("/products/{id}", use: deleteProduct)
        routes.post("/orders", use: createOrder)
        routes.get("/orders", use: listOrders)
        routes.get("/orders/{id}", use: order)
    }

    @Sendable func createProduct(_ request: Request, context: AppRequestContext) async throws -> Response {
        let product = try ProductsOrdersValidation.newProduct(from: try await request.jsonBody(context: context))
        try await service.createProduct(product)
        return .json(["id": .string(product.id)], status: .created)
    }

    @Sendable func listProducts(_ request: Request, context: AppRequestContext) async throws -> Response {
        let cursor = try request.uri.queryParameters["cursor"].map { text in
            guard ProductsOrdersValidation.isProductID(String(text)) else { throw APIError.badRequest("cursor is not a product cursor.") }
            return String(text)
        }
        let page = try await service.productPage(after: cursor, limit: try request.queryInt("limit", in: 1...500) ?? 50)
        return .json(["products": .array(page.products.map(\.json)), "next_cursor": page.next.map { .string($0) } ?? .null])
    }

    @Sendable func product(_ request: Request, context: AppRequestContext) async throws -> Response {
        .json(try await service.product(try Self.productID(context)).json)
    }

    @Sendable func updateProduct(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try Self.productID(context)
        let changes = try ProductsOrdersValidation.changes(from: try await request.jsonBody(context: context))
        return .json(try await service.updateProduct(id, changes: changes).json)
    }

    @Sendable func deleteProduct(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await service.deleteProduct(try Self.productID(context))
        return Response(status: .noContent)
    }

    @Sendable func createOrder(_ request: Request, context: AppRequestContext) async throws -> Response {
        let lines = try ProductsOrdersValidation.orderLines(from: try await request.jsonBody(context: context))
        return .json(["id": .int(try await service.createOrder(lines))], status: .created)
    }

    @Sendable func listOrders(_ request: Request, context: AppRequestContext) async throws -> Response {
        let cursor = try request.uri.queryParameters["cursor"].map { text in
            guard let id = Int64(text), id > 0 else { throw APIError.badRequest("cursor is not an order cursor.") }
            return id
        }
        let page = try await service.orderPage(before: cursor, limit: try request.queryInt("limit", in: 1...100) ?? 20)
        return .json(["orders": .array(page.orders.map(\.json)), "next_cursor": page.next.map { .string(String($0)) } ?? .null])
    }

    @Sendable func order(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try parseInt(try context.parameters.require("id"), field: "id", in: 1...Int.max)
        return .json(try await service.order(Int64(id)).json)
    }

    /// The `{id}` of a product route: 400 when it could not be a product id.
    static func productID(_ context: AppRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard ProductsOrdersValidation.isProductID(id) else {
            throw APIError.validation([FieldError(field: "id", message: "must be 1 to 128 characters of A-Z, a-z, 0-9, '_', '.' and '-'")])
        }
        return id
    }
}

import FeatureKit
import Hummingbird
import Metrics

/// The airship catalogue and its orders: products in Redis, orders in PostgreSQL.
public struct ProductsOrdersFeature: Feature {
    public static let id = "products-orders"
    let service: ProductsOrdersService

    public init(_ dependencies: FeatureDependencies) async throws {
        let settings = dependencies.settings
        let imageRoot = settings.string("image-root") ?? "http://www.example.com/airship/images"
        service = ProductsOrdersService(
            products: ProductStore(
                redis: dependencies.infrastructure.redis(), keyPrefix: settings.string("redis-prefix") ?? Self.id),
            orders: OrderStore(postgres: dependencies.infrastructure.postgres()),
            imageRoot: imageRoot.hasSuffix("/") ? String(imageRoot.dropLast()) : imageRoot,
            logger: dependencies.logger,
            ordersCreated: Counter(label: "orders_created_total", factory: dependencies.metrics),
            stockRejections: Counter(label: "order_stock_rejections_total", factory: dependencies.metrics))
    }

    public var migrations: [Migration] { OrderStore.migrations }

    public func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        let service = self.service
        routes.post("/products") { request, context -> Response in
            let product = try ProductsOrdersValidation.newProduct(from: try await request.jsonBody(context: context))
            try await service.createProduct(product)
            return Response.json(["id": .string(product.id)], status: .created)
        }
        routes.get("/products") { request, _ -> Response in
            let cursor = try request.uri.queryParameters["cursor"].map { text in
                guard ProductsOrdersValidation.isProductID(String(text)) else { throw APIError.badRequest("cursor is not a product cursor.") }
                return String(text)
            }
            let limit = try request.queryInt("limit", in: 1...500) ?? 50
            return Response.json(try await service.productPage(after: cursor, limit: limit))
        }
        routes.get("/products/{id}") { _, context in
            Response.json(try await service.product(try productID(context)).json)
        }
        routes.patch("/products/{id}") { request, context -> Response in
            let id = try productID(context)
            let changes = try ProductsOrdersValidation.changes(from: try await request.jsonBody(context: context))
            return Response.json(try await service.updateProduct(id, changes: changes).json)
        }
        routes.delete("/products/{id}") { _, context -> Response in
            try await service.deleteProduct(try productID(context))
            return Response(status: .noContent)
        }
        routes.post("/orders") { request, context -> Response in
            let lines = try ProductsOrdersValidation.orderLines(from: try await request.jsonBody(context: context))
            return Response.json(["id": .int(try await service.createOrder(lines))], status: .created)
        }
        routes.get("/orders") { request, _ -> Response in
            let cursor = try request.uri.queryParameters["cursor"].map { text in
                guard let id = Int64(text), id > 0 else { throw APIError.badRequest("cursor is not an order cursor.") }
                return id
            }
            let limit = try request.queryInt("limit", in: 1...100) ?? 20
            return Response.json(try await service.orderPage(before: cursor, limit: limit))
        }
        routes.get("/orders/{id}") { _, context in
            let id = try parseInt(try context.parameters.require("id"), field: "id", in: 1...Int.max)
            return Response.json(try await service.order(Int64(id)))
        }
    }

    public var openAPI: OpenAPIFragment { ProductsOrdersOpenAPI.fragment }

    /// Catalogue size, orders of the last hour and the products closest to running out.
    public func dashboard() async throws -> DashboardSection? {
        async let products = service.products.count()
        async let recentOrders = service.orders.countCreated(inLast: 3600)
        async let lowStock = service.products.lowStock(atMost: 5, limit: 10)
        return DashboardSection(
            title: "Catalogue and orders",
            body: HTML.figure("Products", String(try await products), metric: "products-orders.products")
                + HTML.figure("Orders in the last hour", String(try await recentOrders), metric: "products-orders.orders-last-hour")
                + "<h3>Low stock (5 or fewer)</h3>"
                + HTML.table(["Product", "In stock"], try await lowStock.map { [$0.id, String($0.stock)] }, metric: "products-orders.low-stock"))
    }
}

/// The `{id}` of a product route: 400 when it could not be a product id.
private func productID(_ context: AppRequestContext) throws -> String {
    let id = try context.parameters.require("id")
    guard ProductsOrdersValidation.isProductID(id) else {
        throw APIError.validation([FieldError(field: "id", message: "must be 1 to 128 characters of A-Z, a-z, 0-9, '_', '.' and '-'")])
    }
    return id
}

import FeatureKit
import Hummingbird
import Metrics
import Postgres

/// The airship catalogue and its orders: products in Redis, orders in PostgreSQL.
public struct ProductsOrdersFeature: Feature {
    public static let id = "products-orders"
    public static let metricDescriptions = [
        "orders_created_total": "Orders stored",
        "order_stock_rejections_total": "Orders refused for insufficient stock",
    ]
    let service: ProductsOrdersService
    let profile: APIProfile

    public init(_ dependencies: FeatureDependencies) async throws {
        let settings = dependencies.settings
        profile = try settings.apiProfile()
        let imageRoot = settings.string("image-root") ?? "http://www.example.com/airship/images"
        service = ProductsOrdersService(
            products: RedisProductStore(
                redis: dependencies.infrastructure.redis(), keyPrefix: settings.string("redis-prefix") ?? Self.id),
            orders: PostgresOrderStore(
                postgres: dependencies.infrastructure.postgres(),
                settleTimeout: try settings.seconds("settle-timeout", default: 5, in: 0...60)),
            imageRoot: imageRoot.hasSuffix("/") ? String(imageRoot.dropLast()) : imageRoot,
            logger: dependencies.logger,
            ordersCreated: Counter(label: "orders_created_total", factory: dependencies.metrics),
            stockRejections: Counter(label: "order_stock_rejections_total", factory: dependencies.metrics))
    }

    public var migrations: [Migration] { PostgresOrderStore.migrations }

    public func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        switch profile {
        case .switchyard: ProductsOrdersRoutes(service: service).addRoutes(to: routes)
        case .original: ProductsOrdersOriginalRoutes(service: service).addRoutes(to: routes)
        }
    }

    public var openAPI: OpenAPIFragment { profile == .original ? ProductsOrdersOpenAPI.original : ProductsOrdersOpenAPI.fragment }

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

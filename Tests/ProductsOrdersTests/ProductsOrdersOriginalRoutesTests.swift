import FeatureKit
import FeatureTesting
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import SwitchyardJSON
import Testing

@testable import ProductsOrders

/// The original profile (the nameko-devex gateway's API) at the root, over in-memory stores,
/// sent as its smoke test sends it: `curl -d` (form-encoded by name).
@Suite struct ProductsOrdersOriginalRoutesTests {
    let products = MemoryProductStore()
    let orders = MemoryOrderStore()

    func app() -> some ApplicationProtocol {
        let routes = ProductsOrdersOriginalRoutes(
            service: ProductsOrdersService(
                products: products, orders: orders, imageRoot: "http://img.test", logger: Logger(label: "test"),
                ordersCreated: Counter(label: "c"), stockRejections: Counter(label: "r")))
        return routeTestApplication(prefix: "/") { routes.addRoutes(to: $0) }
    }

    static func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        try await client.json(method, uri, body, headers: [.contentType: "application/x-www-form-urlencoded"])
    }

    static func product(stock: Int) -> String {
        #"{"id": "the_odyssey", "title": "The Odyssey", "passenger_capacity": 101, "maximum_speed": 5, "in_stock": \#(stock)}"#
    }

    static func keys(_ value: JSONValue) -> Set<String>? { value.objectValue.map { Set($0.keys) } }

    @Test func productsAreOverwrittenAndDeletedAsTheOriginalDid() async throws {
        try await app().test(.router) { client in
            #expect(try await Self.send(client, .post, "/products", Self.product(stock: 10)) == (.ok, ["id": "the_odyssey"]))
            #expect(try await Self.send(client, .post, "/products", Self.product(stock: 3)) == (.ok, ["id": "the_odyssey"]))
            let (status, product) = try await Self.send(client, .get, "/products/the_odyssey")
            #expect(status == .ok)
            #expect(product == ["id": "the_odyssey", "title": "The Odyssey", "passenger_capacity": 101, "maximum_speed": 5, "in_stock": 3])
            #expect(try await Self.send(client, .get, "/products/delete/the_odyssey") == (.ok, ["status": "ok"]))
            #expect(try await Self.send(client, .get, "/products/delete/the_odyssey") == (.ok, ["status": "ok"]))
            let (missing, error) = try await Self.send(client, .get, "/products/the_odyssey")
            #expect(missing == .notFound)
            #expect(error == ["error": "PRODUCT_NOT_FOUND", "message": "Product Id the_odyssey"])
            let (bad, badBody) = try await Self.send(client, .post, "/products", "{not json")
            #expect(bad == .badRequest)
            #expect(badBody["error"] == "BAD_REQUEST" && Self.keys(badBody) == ["error", "message"])
            let (invalid, invalidBody) = try await Self.send(client, .post, "/products", #"{"id": "x"}"#)
            #expect(invalid == .badRequest)
            #expect(invalidBody["error"] == "VALIDATION_ERROR" && Self.keys(invalidBody) == ["error", "message"])
        }
    }

    @Test func ordersAnswer200AndListFiveAPageOldestFirst() async throws {
        try await app().test(.router) { client in
            _ = try await Self.send(client, .post, "/products", Self.product(stock: 100))
            var ids: [JSONValue] = []
            for _ in 0..<7 {
                let (status, created) = try await Self.send(
                    client, .post, "/orders", #"{"order_details": [{"product_id": "the_odyssey", "price": "99.99", "quantity": 1}]}"#)
                #expect(status == .ok)
                #expect(Self.keys(created) == ["id"])
                ids.append(created["id"] ?? .null)
            }
            let (status, order) = try await Self.send(client, .get, "/orders/\(ids[0].intValue ?? 0)")
            #expect(status == .ok)
            #expect(Self.keys(order) == ["id", "order_details"])
            let line = order["order_details"]?.arrayValue?.first
            #expect(line.flatMap(Self.keys) == ["id", "product_id", "image", "price", "quantity", "product"])
            #expect(line?["price"] == "99.99")
            #expect(line?["product"]?["in_stock"] == 93)
            let (_, first) = try await Self.send(client, .get, "/orders/list/1")
            #expect(first.arrayValue?.map { $0["id"] ?? .null } == Array(ids[0..<5]))
            let (_, second) = try await Self.send(client, .get, "/orders/list/2")
            #expect(second.arrayValue?.map { $0["id"] ?? .null } == Array(ids[5...]))
            let (_, third) = try await Self.send(client, .get, "/orders/list/3")
            #expect(third == [])
            let (absent, absentBody) = try await Self.send(client, .get, "/orders/999")
            #expect(absent == .notFound)
            #expect(absentBody == ["error": "ORDER_NOT_FOUND", "message": "Order with id 999 not found"])
            let (unknown, unknownBody) = try await Self.send(
                client, .post, "/orders", #"{"order_details": [{"product_id": "nope", "price": "1", "quantity": 1}]}"#)
            #expect(unknown == .notFound)
            #expect(unknownBody == ["error": "PRODUCT_NOT_FOUND", "message": "Product Id nope"])
            let (short, shortBody) = try await Self.send(
                client, .post, "/orders", #"{"order_details": [{"product_id": "the_odyssey", "price": "1", "quantity": 1000}]}"#)
            #expect(short == .conflict)
            #expect(shortBody["error"] == "INSUFFICIENT_STOCK")
        }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import SwitchyardJSON
import Testing

/// The nameko-devex gateway's clients against `features.products-orders.api=original` at `/`:
/// its smoke test (`curl -d`, form-encoded by name) and its load-test scenario's requests.
@Suite struct ProductsOrdersOriginalAPITests {
    @Test func smokeTestAndLoadTestScenario() async throws {
        try await OriginalAPI.withFeature("products-orders") { client in
            let product = #"{"id": "the_odyssey", "title": "The Odyssey", "passenger_capacity": 101, "maximum_speed": 5, "in_stock": 10}"#
            let send = { (method: HTTPRequest.Method, uri: String, body: String?) in
                try await OriginalAPI.json(client, method, uri, body, headers: OriginalAPI.curlForm)
            }
            #expect(try await send(.post, "/products", product) == (.ok, ["id": "the_odyssey"]))
            let (status, stored) = try await send(.get, "/products/the_odyssey", nil)
            #expect(status == .ok)
            #expect(stored == ["id": "the_odyssey", "title": "The Odyssey", "passenger_capacity": 101, "maximum_speed": 5, "in_stock": 10])
            let order = #"{"order_details": [{"product_id": "the_odyssey", "price": "100000.99", "quantity": 1}]}"#
            let (created, id) = try await send(.post, "/orders", order)
            #expect(created == .ok)
            let orderID = id["id"]?.intValue ?? 0
            let (got, filled) = try await send(.get, "/orders/\(orderID)", nil)
            #expect(got == .ok)
            #expect(filled["id"]?.intValue == orderID && filled.objectValue.map { Set($0.keys) } == ["id", "order_details"])
            #expect(filled["order_details"]?.arrayValue?.first?["price"] == "100000.99")
            #expect(filled["order_details"]?.arrayValue?.first?["product"]?["in_stock"] == 9)
            let (listed, page) = try await send(.get, "/orders/list/1", nil)
            #expect(listed == .ok && page.arrayValue?.contains { $0["id"]?.intValue == orderID } == true)
            #expect(try await send(.get, "/products/delete/the_odyssey", nil) == (.ok, ["status": "ok"]))
            let (_, afterDelete) = try await send(.get, "/orders/\(orderID)", nil)
            #expect(afterDelete["order_details"]?.arrayValue?.first?["product"] == .null)
            #expect(try await send(.post, "/orders", order) == (.notFound, ["error": "PRODUCT_NOT_FOUND", "message": "Product Id the_odyssey"]))
            try await OriginalAPI.checkOperationalRoutes(client, documents: ["/products", "/products/delete/{id}", "/orders/list/{page}"])
        }
    }
}

import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import ProductsOrders
import Redis
import SwitchyardHost
import SwitchyardJSON
import Testing

/// products-orders through HTTP against the real Redis and PostgreSQL; each test has a
/// catalogue of its own (Redis key prefix) and orders in the shared test database.
@Suite struct ProductsOrdersStorageTests {
    let prefix = "test:products-orders:\(UUID().uuidString)"

    func withServer(
        databaseURL: String? = nil, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let environment = [
            "REDIS_URL": try TestEnvironment.redisURL, "DATABASE_URL": try databaseURL ?? TestEnvironment.databaseURL,
            "FEATURES_PRODUCTS_ORDERS_REDIS_PREFIX": prefix, "POSTGRES_ACQUIRE_TIMEOUT": "1",
        ]
        let reader = try await ConfigSources.reader(flags: [:], configFile: nil, environment: environment)
        let server = try await Switchyard.build(settings: reader, knownFeatures: [ProductsOrdersFeature.self])
        try await server.application.test(.router) { client in try await body(client) }
    }

    @discardableResult
    static func call(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil
    ) async throws -> (status: HTTPResponse.Status, json: JSONValue) {
        try await client.execute(
            uri: "/products-orders" + uri, method: method,
            headers: body == nil ? [:] : [.contentType: "application/json"],
            body: body.map { ByteBuffer(string: $0) }
        ) { response in
            (response.status, response.body.readableBytes == 0 ? .null : try JSONValue(parsing: Array(response.body.readableBytesView)))
        }
    }

    static func product(_ id: String, stock: Int = 10) -> String {
        #"{"id": "\#(id)", "title": "The Odyssey", "passenger_capacity": 101, "maximum_speed": 5, "in_stock": \#(stock)}"#
    }

    static func order(_ lines: [(String, Int)], price: String = #""1.00""#) -> String {
        #"{"order_details": ["#
            + lines.map { #"{"product_id": "\#($0.0)", "price": \#(price), "quantity": \#($0.1)}"# }
            .joined(separator: ",") + "]}"
    }

    static func stock(_ client: any TestClientProtocol, _ id: String) async throws -> Int64? {
        try await call(client, .get, "/products/\(id)").json["in_stock"]?.intValue
    }

    /// The original exercise's smoke sequence.
    @Test func smokeSequence() async throws {
        try await withServer { client in
            let created = try await Self.call(client, .post, "/products", Self.product("the_odyssey"))
            #expect(created.status == .created)
            #expect(created.json == ["id": "the_odyssey"])
            let product = try await Self.call(client, .get, "/products/the_odyssey")
            #expect(product.json == ["id": "the_odyssey", "title": "The Odyssey", "passenger_capacity": 101, "maximum_speed": 5, "in_stock": 10])
            let order = try await Self.call(client, .post, "/orders", Self.order([("the_odyssey", 1)], price: #""100000.99""#))
            #expect(order.status == .created)
            let id = try #require(order.json["id"]?.intValue)
            let read = try await Self.call(client, .get, "/orders/\(id)")
            #expect(read.status == .ok)
            let detail = read.json["order_details"]?.arrayValue?.first
            #expect(detail?["price"] == "100000.99")
            #expect(detail?["quantity"] == 1)
            #expect(detail?["product"]?["in_stock"] == 9)
            #expect(detail?["image"] == "http://www.example.com/airship/images/the_odyssey.jpg")
        }
    }

    @Test func everyErrorCode() async throws {
        try await withServer { client in
            try await Self.call(client, .post, "/products", Self.product("a"))
            let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)] = [
                (.post, "/products", Self.product("a", stock: 99), .conflict, "PRODUCT_EXISTS"),
                (.post, "/products", #"{"id": "b"}"#, .badRequest, "VALIDATION_ERROR"),
                (.post, "/products", "{not json", .badRequest, "BAD_REQUEST"),
                (.get, "/products/missing", nil, .notFound, "PRODUCT_NOT_FOUND"),
                (.get, "/products/..%2Fetc", nil, .badRequest, "VALIDATION_ERROR"),
                (.patch, "/products/missing", #"{"in_stock": 1}"#, .notFound, "PRODUCT_NOT_FOUND"),
                (.patch, "/products/a", #"{"in_stock": -1}"#, .badRequest, "VALIDATION_ERROR"),
                (.patch, "/products/a", "{}", .badRequest, "VALIDATION_ERROR"),
                (.delete, "/products/missing", nil, .notFound, "PRODUCT_NOT_FOUND"),
                (.get, "/products?limit=0", nil, .badRequest, "VALIDATION_ERROR"),
                (.get, "/products?limit=x", nil, .badRequest, "BAD_REQUEST"),
                (.get, "/products?cursor=a%20b", nil, .badRequest, "BAD_REQUEST"),
                (.post, "/orders", Self.order([("a", 11)]), .conflict, "INSUFFICIENT_STOCK"),
                (.post, "/orders", Self.order([("a", 1), ("nope", 1)]), .notFound, "PRODUCT_NOT_FOUND"),
                (.post, "/orders", Self.order([("a", 1)], price: #""1.001""#), .badRequest, "VALIDATION_ERROR"),
                (.post, "/orders", #"{"order_details": []}"#, .badRequest, "VALIDATION_ERROR"),
                (.get, "/orders/999999999", nil, .notFound, "ORDER_NOT_FOUND"),
                (.get, "/orders/x", nil, .badRequest, "BAD_REQUEST"),
                (.get, "/orders?cursor=-4", nil, .badRequest, "BAD_REQUEST"),
                (.get, "/orders?limit=101", nil, .badRequest, "VALIDATION_ERROR"),
            ]
            for (method, uri, body, status, code) in cases {
                let answer = try await Self.call(client, method, uri, body)
                #expect(answer.status == status, "\(method) \(uri)")
                #expect(answer.json["error"]?.stringValue == code, "\(method) \(uri)")
            }
            let short = try await Self.call(client, .post, "/orders", Self.order([("a", 6), ("a", 5)]))
            #expect(short.json["details"] == [["product_id": "a", "requested": 11, "available": 10]])
            let missing = try await Self.call(client, .post, "/orders", Self.order([("nope", 1), ("a", 1), ("gone", 1)]))
            #expect(missing.json["details"] == [["product_id": "nope"], ["product_id": "gone"]])
            #expect(try await Self.stock(client, "a") == 10)
            #expect(try await Self.call(client, .get, "/products/a").json["passenger_capacity"] == 101)
        }
    }

    @Test func updateDeleteAndOrdersOfDeletedProducts() async throws {
        try await withServer { client in
            try await Self.call(client, .post, "/products", Self.product("ship"))
            let patched = try await Self.call(client, .patch, "/products/ship", #"{"title": "Argo", "in_stock": 3}"#)
            #expect(patched.json["title"] == "Argo")
            #expect(patched.json["in_stock"] == 3)
            #expect(patched.json["maximum_speed"] == 5)
            let id = try #require(try await Self.call(client, .post, "/orders", Self.order([("ship", 1), ("ship", 1)])).json["id"]?.intValue)
            #expect(try await Self.stock(client, "ship") == 1)
            #expect(try await Self.call(client, .delete, "/products/ship").status == .noContent)
            #expect(try await Self.call(client, .get, "/products/ship").status == .notFound)
            let order = try await Self.call(client, .get, "/orders/\(id)")
            #expect(order.json["order_details"]?.arrayValue?.count == 2)
            #expect(order.json["order_details"]?.arrayValue?.allSatisfy { $0["product"] == .null } == true)
            // Ordering a deleted product changes nothing and does not bring it back.
            #expect(try await Self.call(client, .post, "/orders", Self.order([("ship", 1)])).status == .notFound)
            #expect(try await Self.call(client, .get, "/products/ship").status == .notFound)
            #expect(try await Self.call(client, .get, "/products").json["products"] == [])
        }
    }

    @Test func pagingBothLists() async throws {
        // A database of its own: other tests' orders would interleave with the newest-first list.
        try await withServer(databaseURL: try await FreshDatabase.create()) { client in
            for index in 0..<7 { try await Self.call(client, .post, "/products", Self.product("p\(index)")) }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await Self.call(client, .get, "/products?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
                seen += page.json["products"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                cursor = page.json["next_cursor"]?.stringValue
            } while cursor != nil
            #expect(seen == (0..<7).map { "p\($0)" })

            var ids: [Int64] = []
            for index in 0..<5 {
                ids.append(try #require(try await Self.call(client, .post, "/orders", Self.order([("p\(index)", 1)])).json["id"]?.intValue))
            }
            let first = try await Self.call(client, .get, "/orders?limit=3")
            let firstIDs = first.json["orders"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            #expect(firstIDs == Array(ids.reversed().prefix(3)))
            let next = try #require(first.json["next_cursor"]?.stringValue)
            let second = try await Self.call(client, .get, "/orders?limit=2&cursor=\(next)")
            #expect(second.json["orders"]?.arrayValue?.compactMap { $0["id"]?.intValue } == Array(ids.reversed().dropFirst(3).prefix(2)))
            #expect(second.json["orders"]?.arrayValue?.first?["order_details"]?.arrayValue?.first?["product"]?["in_stock"] == 9)
        }
    }

    /// The original crashed with `KeyError` when a product vanished between listing and reading.
    /// A product whose hash cannot be read (its key holds another type) is a failure, never
    /// "no such product": an error reply in the pipeline is not read as a missing value.
    @Test func anUnreadableProductIsAnErrorNotAbsent() async throws {
        let redis = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL))
        try await redis.send("SET", "{\(prefix)}:product:broken", "not a hash")
        try await withServer { client in
            let answer = try await Self.call(client, .get, "/products/broken")
            #expect(answer.status == .internalServerError)
            #expect(answer.json["error"]?.stringValue == "INTERNAL_ERROR")
        }
        await redis.close()
    }

    @Test func listingWhileDeletingNeverFails() async throws {
        try await withServer { client in
            for index in 0..<300 { try await Self.call(client, .post, "/products", Self.product(String(format: "item%03d", index))) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for index in 0..<300 { try await Self.call(client, .delete, "/products/" + String(format: "item%03d", index)) }
                }
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<40 {
                            let page = try await Self.call(client, .get, "/products?limit=50")
                            #expect(page.status == .ok)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// 32 writers race on 10 products: stock is conserved exactly and never negative.
    @Test func stockIsConservedUnderConcurrentOrders() async throws {
        try await withServer { client in
            for index in 0..<10 { try await Self.call(client, .post, "/products", Self.product("s\(index)", stock: 200)) }
            let accepted = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for writer in 0..<32 {
                    group.addTask {
                        var taken = [Int64](repeating: 0, count: 10)
                        for round in 0..<25 {
                            let a = (writer + round) % 10, b = (writer * 3 + round) % 10
                            let (qa, qb) = (Int64(1 + (writer + round) % 4), Int64(1 + round % 3))
                            let answer = try await Self.call(client, .post, "/orders", Self.order([("s\(a)", Int(qa)), ("s\(b)", Int(qb))]))
                            if answer.status == .created {
                                taken[a] += qa
                                taken[b] += qb
                            } else {
                                #expect(answer.status == .conflict)
                            }
                        }
                        return taken
                    }
                }
                return try await group.reduce(into: [Int64](repeating: 0, count: 10)) { total, taken in
                    for index in 0..<10 { total[index] += taken[index] }
                }
            }
            for index in 0..<10 {
                let left = try #require(try await Self.stock(client, "s\(index)"))
                #expect(left >= 0)
                #expect(left + accepted[index] == 200, "s\(index)")
            }
            #expect(accepted.reduce(0, +) > 0)
        }
    }

    @Test func postgresDownMeans503AndStockBack() async throws {
        let server = try PostgresProcess()
        defer { server.destroy() }
        try await server.start()
        try await withServer(databaseURL: server.url) { client in
            try await Self.call(client, .post, "/products", Self.product("kept", stock: 5))
            #expect(try await Self.call(client, .post, "/orders", Self.order([("kept", 1)])).status == .created)
            try await server.crash()
            let answer = try await Self.call(client, .post, "/orders", Self.order([("kept", 2)]))
            #expect(answer.status == .serviceUnavailable)
            #expect(answer.json["error"] == "DEPENDENCY_UNAVAILABLE")
            // Back at once if the insert was never sent; held until settled if it was.
            let held = try #require(try await Self.stock(client, "kept"))
            #expect(held == 4 || held == 2)
            try await server.start()
            var recovered = false
            for _ in 0..<50 where !recovered {
                recovered = try await Self.call(client, .post, "/orders", Self.order([("kept", 1)])).status == .created
                if !recovered { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(recovered)
            // The unanswered order was not stored (the server died first): settled, its stock back.
            while try await Self.stock(client, "kept") != 3 { try await Task.sleep(for: .milliseconds(50)) }
        }
    }
}

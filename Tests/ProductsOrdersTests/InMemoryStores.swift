import FeatureKit
import Foundation
import Postgres
import Synchronization

@testable import ProductsOrders

/// The catalogue contract in memory: same answers as the Redis store, ids in byte order.
final class InMemoryProductStore: ProductStore {
    let catalogue = Mutex<[String: Product]>([:])

    func create(_ product: Product) async throws -> Bool {
        catalogue.withLock { catalogue in
            guard catalogue[product.id] == nil else { return false }
            catalogue[product.id] = product
            return true
        }
    }

    func put(_ product: Product) async throws { catalogue.withLock { $0[product.id] = product } }

    func product(_ id: String) async throws -> Product? { catalogue.withLock { $0[id] } }

    func products(_ ids: [String]) async throws -> [String: Product?] {
        catalogue.withLock { catalogue in Dictionary(uniqueKeysWithValues: ids.map { ($0, catalogue[$0]) }) }
    }

    func update(_ id: String, changes: [(field: String, value: String)]) async throws -> Bool {
        catalogue.withLock { catalogue in
            guard var product = catalogue[id] else { return false }
            for (field, value) in changes {
                switch field {
                case "title": product.title = value
                case "passenger_capacity": product.passengerCapacity = Int64(value)!
                case "maximum_speed": product.maximumSpeed = Int64(value)!
                case "in_stock": product.inStock = Int64(value)!
                default: fatalError("unknown field \(field)")
                }
            }
            catalogue[id] = product
            return true
        }
    }

    func delete(_ id: String) async throws -> Bool {
        catalogue.withLock { $0.removeValue(forKey: id) != nil }
    }

    func page(after cursor: String?, limit: Int) async throws -> ProductPage {
        catalogue.withLock { catalogue in
            let after = { (id: String) in cursor.map { Array($0.utf8).lexicographicallyPrecedes(Array(id.utf8)) } ?? true }
            let ids = catalogue.keys.filter(after).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            let shown = Array(ids.prefix(limit))
            return ProductPage(products: shown.map { catalogue[$0]! }, next: ids.count > limit ? shown.last : nil)
        }
    }

    func count() async throws -> Int64 { catalogue.withLock { Int64($0.count) } }

    func lowStock(atMost threshold: Int64, limit: Int) async throws -> [(id: String, stock: Int64)] {
        catalogue.withLock { catalogue in
            Array(
                catalogue.values.filter { $0.inStock <= threshold }.sorted { ($0.inStock, $0.id) < ($1.inStock, $1.id) }
                    .prefix(limit).map { ($0.id, $0.inStock) })
        }
    }

    /// Reservation markers by token: held, then released (as the Redis store keeps them).
    let markers = Mutex<[String: Bool]>([:])

    func reserve(_ quantities: [(productID: String, quantity: Int64)], token: String) async throws -> Reservation {
        if let held = markers.withLock({ $0[token] }) {
            guard held else { throw PostgresError.unavailable("released before it ran") }
            return .reserved
        }
        return catalogue.withLock { catalogue in
            let missing = quantities.filter { catalogue[$0.productID] == nil }.map(\.productID)
            if !missing.isEmpty { return .missing(missing) }
            let short = quantities.filter { catalogue[$0.productID]!.inStock < $0.quantity }
            if !short.isEmpty { return .insufficient(short.map { ($0.productID, $0.quantity, catalogue[$0.productID]!.inStock) }) }
            for line in quantities { catalogue[line.productID]!.inStock -= line.quantity }
            markers.withLock { $0[token] = true }
            return .reserved
        }
    }

    func release(_ quantities: [(productID: String, quantity: Int64)], token: String) async throws {
        guard markers.withLock({ $0.updateValue(false, forKey: token) }) == true else { return }
        catalogue.withLock { catalogue in
            for line in quantities where catalogue[line.productID] != nil { catalogue[line.productID]!.inStock += line.quantity }
        }
    }

    func forget(token: String) async throws {
        markers.withLock { _ = $0.removeValue(forKey: token) }
    }
}

/// The order book in memory; `failing` plays a PostgreSQL outage, `answerLost` an insert whose
/// answer never came (true: the order was stored, false: it was not).
final class InMemoryOrderStore: OrderStore {
    struct Book {
        var orders: [Order] = []
        var nextDetail: Int64 = 1
        var failing = false
        var answerLost: Bool?
        var requests: [String: Int64?] = [:]
    }
    let book = Mutex(Book())

    func insert(_ lines: [OrderLine], token: String) async throws -> Int64 {
        try book.withLock { book in
            if book.failing { throw PostgresError.unavailable("connection refused") }
            if let lost = book.answerLost {
                book.requests[token] = lost ? Self.store(lines, in: &book) : .some(nil)
                throw OrderOutcomeUnknown(token: token, cause: PostgresError.outcomeUnknown("answer lost"))
            }
            return Self.store(lines, in: &book)
        }
    }

    func settle(token: String) async throws -> Int64? {
        try book.withLock { book in
            if book.failing { throw PostgresError.unavailable("connection refused") }
            return book.requests[token] ?? nil
        }
    }

    private static func store(_ lines: [OrderLine], in book: inout Book) -> Int64 {
        let id = Int64(book.orders.count + 1)
        let details = lines.enumerated().map { index, line in
            OrderDetail(id: book.nextDetail + Int64(index), productID: line.productID, price: line.price, quantity: line.quantity)
        }
        book.nextDetail += Int64(lines.count)
        book.orders.append(Order(id: id, createdAt: Date(), details: details))
        return id
    }

    func order(_ id: Int64) async throws -> Order? { book.withLock { $0.orders.first { $0.id == id } } }

    func page(before cursor: Int64?, limit: Int) async throws -> [Order] {
        book.withLock { Array($0.orders.reversed().filter { $0.id < cursor ?? .max }.prefix(limit)) }
    }

    func ascending(offset: Int, limit: Int) async throws -> [Order] {
        book.withLock { Array($0.orders.dropFirst(offset).prefix(limit)) }
    }

    func countCreated(inLast seconds: Int) async throws -> Int64 { book.withLock { Int64($0.orders.count) } }
}

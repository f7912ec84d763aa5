import FeatureKit
import Foundation
import Postgres
import Synchronization

@testable import ProductsOrders

/// The catalogue contract in memory: same answers as the Redis store, ids in byte order.
final class MemoryProductStore: ProductStore {
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

import FeatureKit

/// The catalogue: products and their stock. Implemented in Redis (`RedisProductStore`).
protocol ProductStore: Sendable {
    /// False when the id is taken (never overwritten).
    func create(_ product: Product) async throws -> Bool
    /// Creates the product or overwrites it whole, stock included (the original profile).
    func put(_ product: Product) async throws
    func product(_ id: String) async throws -> Product?
    /// The named products in one round trip; deleted ones map to nil.
    func products(_ ids: [String]) async throws -> [String: Product?]
    /// False when there is no such product.
    func update(_ id: String, changes: [(field: String, value: String)]) async throws -> Bool
    /// False when there was no such product.
    func delete(_ id: String) async throws -> Bool
    /// Up to `limit` products with ids after `cursor`.
    func page(after cursor: String?, limit: Int) async throws -> ProductPage
    func count() async throws -> Int64
    /// Up to `limit` products with the least stock at or below `threshold`, fewest first.
    func lowStock(atMost threshold: Int64, limit: Int) async throws -> [(id: String, stock: Int64)]
    /// All or nothing, once per `token` however often it is sent. `quantities` has one entry
    /// per product (lines for one product summed).
    func reserve(_ quantities: [(productID: String, quantity: Int64)], token: String) async throws -> Reservation
    /// Gives the reservation `token` back (to products that still exist), once however often it
    /// is sent; if it was never made, it never will be.
    func release(_ quantities: [(productID: String, quantity: Int64)], token: String) async throws
    /// The reservation `token` became an order: its marker is no longer needed.
    func forget(token: String) async throws
}

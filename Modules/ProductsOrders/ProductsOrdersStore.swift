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

/// The order book. Implemented in PostgreSQL (`PostgresOrderStore`).
protocol OrderStore: Sendable {
    /// Stores the order with its lines in request order under `token` (which no other order
    /// has); returns its id. Any error but `OrderOutcomeUnknown` means the order was not stored.
    func insert(_ lines: [OrderLine], token: String) async throws -> Int64
    /// What became of an order whose insert threw `OrderOutcomeUnknown`: its id if it was
    /// stored, nil if it was not (and now never will be). Throws while the store cannot tell.
    func settle(token: String) async throws -> Int64?
    func order(_ id: Int64) async throws -> Order?
    /// Newest first: up to `limit` orders with ids below `cursor`.
    func page(before cursor: Int64?, limit: Int) async throws -> [Order]
    /// Oldest first: `limit` orders after the first `offset` (the original profile's pages).
    func ascending(offset: Int, limit: Int) async throws -> [Order]
    /// Orders created in the last `seconds`.
    func countCreated(inLast seconds: Int) async throws -> Int64
}

/// An order whose insert was sent but never answered, and could not be settled either: it may
/// exist. Its stock stays reserved (never given back blindly); the log names it.
struct OrderOutcomeUnknown: APIErrorConvertible {
    let token: String
    let cause: any Error
    var apiError: APIError { .dependencyUnavailable("PostgreSQL") }
}

/// An unanswered insert settled as never stored: its stock may be given back.
struct OrderNotStored: APIErrorConvertible {
    let cause: any Error
    var apiError: APIError { .dependencyUnavailable("PostgreSQL") }
}

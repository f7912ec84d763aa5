import FeatureKit

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
/// exist. Its stock stays reserved (never given back blindly); the log names it. The answer
/// says so: "retry later" could store the order twice.
struct OrderOutcomeUnknown: APIErrorConvertible {
    let token: String
    let cause: any Error
    var apiError: APIError {
        APIError(
            .serviceUnavailable, code: "DEPENDENCY_UNAVAILABLE",
            message: "PostgreSQL did not answer whether the order was stored: it may exist. Check the order list before ordering again.",
            details: [["order_request": .string(token), "outcome": "unknown"]])
    }
}

/// An unanswered insert settled as never stored: its stock may be given back.
struct OrderNotStored: APIErrorConvertible {
    let cause: any Error
    var apiError: APIError { .dependencyUnavailable("PostgreSQL") }
}

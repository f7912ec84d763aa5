import FeatureKit
import Foundation
import Postgres
import Synchronization

@testable import ProductsOrders

/// The order book in memory; `failing` plays a PostgreSQL outage, `answerLost` an insert whose
/// answer never came (true: the order was stored, false: it was not).
final class MemoryOrderStore: OrderStore {
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

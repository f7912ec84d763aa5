import FeatureKit
import Foundation
import Logging
import Metrics

/// The rules of products-orders over the catalogue (Redis) and the order book (PostgreSQL).
struct ProductsOrdersService: Sendable {
    let products: any ProductStore
    let orders: any OrderStore
    let imageRoot: String
    let logger: Logger
    let ordersCreated: Counter
    let stockRejections: Counter

    func createProduct(_ product: Product) async throws {
        guard try await products.create(product) else {
            throw APIError(.conflict, code: "PRODUCT_EXISTS", message: "Product '\(product.id)' already exists.")
        }
    }

    /// Creates or overwrites, stock included: the original's POST /products.
    func putProduct(_ product: Product) async throws {
        try await products.put(product)
    }

    func product(_ id: String) async throws -> Product {
        guard let product = try await products.product(id) else { throw Self.productNotFound(id) }
        return product
    }

    func updateProduct(_ id: String, changes: [(field: String, value: String)]) async throws -> Product {
        guard try await products.update(id, changes: changes) else { throw Self.productNotFound(id) }
        return try await product(id)
    }

    func deleteProduct(_ id: String) async throws {
        guard try await products.delete(id) else { throw Self.productNotFound(id) }
    }

    func productPage(after cursor: String?, limit: Int) async throws -> ProductPage {
        try await products.page(after: cursor, limit: limit)
    }

    /// Reserves stock for every line at once, then stores the order; if storing fails the stock
    /// is given back and the error (503 when PostgreSQL is down) is the answer. An insert that
    /// went unanswered is settled by the store first: an order that was stored after all is a
    /// success, and one that cannot be settled yet keeps its stock until it is (never given back
    /// blindly). The whole step runs in a task of its own so a client that hangs up cannot stop
    /// it halfway.
    func createOrder(_ lines: [OrderLine]) async throws -> Int64 {
        var totals: [(productID: String, quantity: Int64)] = []
        for line in lines {
            if let index = totals.firstIndex(where: { $0.productID == line.productID }) {
                totals[index].quantity += line.quantity
            } else {
                totals.append((line.productID, line.quantity))
            }
        }
        // One token names the reservation and the order: a reservation or an insert whose
        // answer was lost is settled by it, never compensated blindly.
        let token = UUID().uuidString
        return try await Task { [self, totals] in
            let reservation: Reservation
            do {
                reservation = try await products.reserve(totals, token: token)
            } catch {
                // It may have run: released once Redis answers, which also keeps it from running later.
                await release(token, totals)
                throw error
            }
            switch reservation {
            case .reserved: break
            case .missing(let ids):
                throw APIError(
                    .notFound, code: "PRODUCT_NOT_FOUND", message: "\(ids.count) product(s) do not exist.",
                    details: ids.map { ["product_id": .string($0)] })
            case .insufficient(let short):
                stockRejections.increment()
                throw APIError(
                    .conflict, code: "INSUFFICIENT_STOCK", message: "\(short.count) product(s) lack stock.",
                    details: short.map {
                        ["product_id": .string($0.productID), "requested": .int($0.requested), "available": .int($0.available)]
                    })
            }
            do {
                let id = try await orders.insert(lines, token: token)
                ordersCreated.increment()
                let products = self.products
                Task { try? await products.forget(token: token) }
                return id
            } catch let error as OrderOutcomeUnknown {
                settleLater(token, totals)
                throw error
            } catch {
                await release(token, totals)
                throw error
            }
        }.value
    }

    func order(_ id: Int64) async throws -> OrderView {
        guard let order = try await orders.order(id) else {
            throw APIError(.notFound, code: "ORDER_NOT_FOUND", message: "No order \(id).", details: [["order_id": .int(id)]])
        }
        return try await views([order])[0]
    }

    /// Page `number` (from 1) of `size` orders, oldest first: the original's order list.
    func orderPage(number: Int, size: Int) async throws -> [OrderView] {
        try await views(try await orders.ascending(offset: (number - 1) * size, limit: size))
    }

    func orderPage(before cursor: Int64?, limit: Int) async throws -> OrderPage {
        let page = try await orders.page(before: cursor, limit: limit + 1)
        let shown = Array(page.prefix(limit))
        return OrderPage(orders: try await views(shown), next: page.count > limit ? shown.last?.id : nil)
    }

    /// Orders with each line's current product and image, reading only the products they
    /// name, in one round trip.
    private func views(_ orders: [Order]) async throws -> [OrderView] {
        let ids = Array(Set(orders.flatMap { $0.details.map(\.productID) }))
        let current = ids.isEmpty ? [:] : try await products.products(ids)
        return orders.map { order in
            OrderView(
                order: order,
                lines: order.details.map { detail in
                    OrderView.Line(
                        detail: detail, product: current[detail.productID] ?? nil, image: "\(imageRoot)/\(detail.productID).jpg")
                })
        }
    }

    /// Settles an order whose insert went unanswered once the store can tell, in the
    /// background: its stock goes back only if it was not stored. Until then it stays reserved.
    private func settleLater(_ token: String, _ totals: [(productID: String, quantity: Int64)]) {
        logger.warning("products-orders: order request \(token) went unanswered; stock stays reserved until it is settled")
        Task {
            let settled = await Self.retrying(attempts: Self.settleAttempts) {
                if let id = try await orders.settle(token: token) {
                    logger.notice("products-orders: order request \(token) was stored as order \(id)")
                    try? await products.forget(token: token)
                } else {
                    logger.notice("products-orders: order request \(token) was not stored; its stock goes back")
                    await release(token, totals)
                }
            }
            if !settled { logger.error("products-orders: order request \(token) could not be settled; stock still reserved: \(totals)") }
        }
    }

    /// Gives the reservation `token` back: at once if Redis answers, else in the background
    /// until it does (the release happens once however often it is sent, and keeps a
    /// reservation that has not run from ever running).
    private func release(_ token: String, _ totals: [(productID: String, quantity: Int64)]) async {
        if (try? await products.release(totals, token: token)) != nil { return }
        logger.warning("products-orders: stock of order request \(token) not given back yet; retrying while Redis recovers")
        Task {
            let released = await Self.retrying(attempts: Self.settleAttempts) { try await products.release(totals, token: token) }
            if !released { logger.error("products-orders: stock not given back after a failed order: \(totals) (request \(token))") }
        }
    }

    /// About an hour of tries, 5 s apart once backed off.
    static let settleAttempts = 720

    /// `work` until it succeeds, backing off from 100 ms to 5 s; false if no attempt did.
    private static func retrying(attempts: Int, _ work: () async throws -> Void) async -> Bool {
        var delay = Duration.milliseconds(100)
        for _ in 0..<attempts {
            do {
                try await work()
                return true
            } catch {
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        return false
    }

    static func productNotFound(_ id: String) -> APIError {
        APIError(.notFound, code: "PRODUCT_NOT_FOUND", message: "No product '\(id)'.", details: [["product_id": .string(id)]])
    }
}

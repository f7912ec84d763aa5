import Foundation
import IntegrationSupport
import Redis
import Testing

@testable import ProductsOrders

/// A reservation and its release happen once per token however often they are sent (an
/// answer lost on the way is sent again), and a release that comes first keeps the
/// reservation from ever running: stock is never taken or given twice.
@Suite struct StockReservationTests {
    static func store() throws -> RedisProductStore {
        RedisProductStore(
            redis: RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL, connections: 1)),
            keyPrefix: "test:reservations:\(UUID().uuidString)")
    }

    static func isReserved(_ reservation: Reservation) -> Bool {
        if case .reserved = reservation { return true }
        return false
    }

    static let product = Product(id: "p", title: "P", passengerCapacity: 1, maximumSpeed: 1, inStock: 10)

    @Test func reservationsAndReleasesHappenOnce() async throws {
        let store = try Self.store()
        try await store.put(Self.product)
        let token = UUID().uuidString
        for _ in 0..<3 { #expect(Self.isReserved(try await store.reserve([("p", 4)], token: token))) }
        #expect(try await store.product("p")?.inStock == 6)
        for _ in 0..<3 { try await store.release([("p", 4)], token: token) }
        #expect(try await store.product("p")?.inStock == 10)
    }

    @Test func aReleaseThatComesFirstKeepsTheReservationFromRunning() async throws {
        let store = try Self.store()
        try await store.put(Self.product)
        let token = UUID().uuidString
        try await store.release([("p", 4)], token: token)
        await #expect(throws: RedisError.self) { try await store.reserve([("p", 4)], token: token) }
        #expect(try await store.product("p")?.inStock == 10)
    }

    @Test func aForgottenReservationStaysTaken() async throws {
        let store = try Self.store()
        try await store.put(Self.product)
        let token = UUID().uuidString
        #expect(Self.isReserved(try await store.reserve([("p", 3)], token: token)))
        try await store.forget(token: token)
        #expect(try await store.product("p")?.inStock == 7)
    }
}

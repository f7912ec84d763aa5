import Foundation
import IntegrationSupport
import Postgres
import Testing

@testable import ProductsOrders

/// An order insert whose answer never came is settled against what the database holds: an
/// order that exists is the answer, one that does not is never stored afterwards.
@Suite struct OrderSettlementTests {
    static func store() async throws -> (PostgresOrderStore, PostgresClient) {
        let url = try await FreshDatabase.create()
        let client = PostgresClient(configuration: try PostgresConfiguration(url: url, minConnections: 0))
        try await Migrator(client: client).apply(feature: "products-orders", PostgresOrderStore.migrations)
        return (PostgresOrderStore(postgres: client, settleTimeout: .zero), client)
    }

    static let lines = [OrderLine(productID: "p", price: Price(text: "1.50")!, quantity: 2)]

    @Test func aStoredOrderSettlesAsItsID() async throws {
        let (store, client) = try await Self.store()
        let token = UUID().uuidString
        let id = try await store.insert(Self.lines, token: token)
        #expect(try await store.settle(token: token) == id)
        await client.close()
    }

    @Test func anUnstoredOrderSettlesAsNotStoredAndCanNeverBeStoredAfter() async throws {
        let (store, client) = try await Self.store()
        let token = UUID().uuidString
        #expect(try await store.settle(token: token) == nil)
        // The insert arriving late fails on the claimed token, and settling again agrees.
        let late = await #expect(throws: PostgresError.self) { try await store.insert(Self.lines, token: token) }
        #expect(late?.isUniqueViolation == true)
        #expect(try await store.settle(token: token) == nil)
        #expect(try await client.query("SELECT count(*) AS n FROM orders").first?.decode(Int.self, "n") == 0)
        await client.close()
    }

    /// The whole path: an insert held by a lock past its deadline is cancelled, settled as not
    /// stored, and not stored after the lock goes.
    @Test func anInsertOverItsDeadlineIsSettled() async throws {
        let url = try await FreshDatabase.create()
        let client = PostgresClient(
            configuration: try PostgresConfiguration(url: url, minConnections: 0, pipelinedConnections: 1, queryTimeout: .seconds(1)))
        try await client.waitUntilConnected()
        try await Migrator(client: client).apply(feature: "products-orders", PostgresOrderStore.migrations)
        let store = PostgresOrderStore(postgres: client, settleTimeout: .zero)
        let locker = PostgresClient(configuration: try PostgresConfiguration(url: url, minConnections: 0))
        let (locked, lockedSignal) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        // The lock is held until the test has seen the insert's outcome, however slow the machine.
        let holding = Task {
            try await locker.transaction(work: .maintenance) { tx in
                try await tx.query("LOCK TABLE orders IN EXCLUSIVE MODE")
                lockedSignal.yield()
                for await _ in release { break }
            }
        }
        for await _ in locked { break }
        let error = await #expect(throws: OrderNotStored.self) { try await store.insert(Self.lines, token: UUID().uuidString) }
        #expect(error != nil)
        releaseSignal.yield()
        try await holding.value
        #expect(try await client.query("SELECT count(*) AS n FROM orders").first?.decode(Int.self, "n") == 0)
        // And an order afterwards is stored as usual.
        #expect(try await store.insert(Self.lines, token: UUID().uuidString) > 0)
        await locker.close()
        await client.close()
    }

    /// PostgreSQL goes silent with an insert in flight (as in a failover) and comes back within
    /// the settle window: the request gets the true answer, not "unknown": the order, if the
    /// insert reached the server when the silence ended, or not stored. With no window (the
    /// claim tried once, in the silence) the answer would be `OrderOutcomeUnknown`.
    @Test func anInsertLostInAnOutageIsSettledOnceTheDatabaseAnswersAgain() async throws {
        let database = try await FreshDatabase.create()
        let migrated = PostgresClient(configuration: try PostgresConfiguration(url: database, minConnections: 0))
        try await Migrator(client: migrated).apply(feature: "products-orders", PostgresOrderStore.migrations)
        await migrated.close()
        let (proxy, url) = try await ChaosProxy.inFront(of: database)
        defer { proxy.stop() }
        let client = PostgresClient(
            configuration: try PostgresConfiguration(
                url: url, minConnections: 0, pipelinedConnections: 1, queryTimeout: .seconds(1), connectTimeoutSeconds: 1))
        let store = PostgresOrderStore(postgres: client, settleTimeout: .seconds(120))
        _ = try await store.order(1)
        try await proxy.set(.blackhole)
        let insert = Task { try await store.insert(Self.lines, token: UUID().uuidString) }
        // Past the insert's deadline (1 s) and a claim or two into the silence.
        try await Task.sleep(for: .seconds(3))
        try await proxy.set(.pass)
        let outcome = await insert.result
        let stored = try await client.query("SELECT id FROM orders").rows.map { try $0.decode(Int64.self, "id") }
        switch outcome {
        case .success(let id): #expect(stored == [id])
        case .failure(let error):
            #expect(error is OrderNotStored, "\(error)")
            #expect(stored.isEmpty)
        }
        await client.close()
    }
}

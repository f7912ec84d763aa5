import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import Postgres
import SwitchyardJSON
import Synchronization
import Testing

/// The PostgreSQL primary is killed (SIGKILL) under 32 order writers and mixed reads, and its
/// synchronous standby is promoted. The server, given both through a multi-host URL with
/// `target_session_attrs=read-write`, answers 503 meanwhile (never a 500, never a hang), works
/// again on the promoted server without a restart, and every order it confirmed is there, with
/// stock plus ordered equal to the stock it began with.
@Suite(.serialized) struct PostgresFailoverTests {
    static let initialStock = 1_000_000
    static let order = #"{"order_details":[{"product_id":"failover","price":"1","quantity":1}]}"#

    /// What the load saw: statuses by phase, the confirmed order ids, and when the first order
    /// was confirmed after the promotion.
    final class Observed: Sendable {
        enum Phase: Int { case beforeKill, primaryDown, promoted }
        let phase = Atomic<Int>(Phase.beforeKill.rawValue)
        let running = Atomic<Bool>(true)
        let statuses = Mutex<[String: Int]>([:])
        let confirmed = Mutex<[Int64]>([])
        let firstConfirmedAfterPromotion = Mutex<ContinuousClock.Instant?>(nil)
        let slowest = Mutex<Duration>(.zero)

        func record(_ route: String, _ status: HTTPResponse.Status, took: Duration) {
            let phase = Phase(rawValue: phase.load(ordering: .acquiring))!
            statuses.withLock { $0["\(phase) \(route) \(status.code)", default: 0] += 1 }
            slowest.withLock { $0 = max($0, took) }
        }
    }

    @Test func confirmedOrdersSurviveAPrimaryCrashAndTheServerMovesToThePromotedStandby() async throws {
        let primary = try PostgresProcess(settings: ["synchronous_standby_names='*'"])
        try await primary.start()
        defer { primary.destroy() }
        let standby = try PostgresProcess(standbyOf: primary)
        try await standby.start()
        defer { standby.destroy() }
        try await Self.waitForSynchronousStandby(primary)

        let url = "postgres://postgres@127.0.0.1:\(primary.port),127.0.0.1:\(standby.port)/postgres?target_session_attrs=read-write"
        let server = try await TestEnvironment.server([
            "REDIS_URL": try TestEnvironment.redisURL, "DATABASE_URL": url, "FEATURES": "products-orders,area-mode,user-points",
            "FEATURES_USER_POINTS_SEED_USERS": "100", "POSTGRES_ACQUIRE_TIMEOUT": "1", "POSTGRES_QUERY_TIMEOUT": "2",
        ])
        let observed = Observed()
        try await server.application.test(.router) { client in
            try await TestEnvironment.createProduct(client, id: "failover", stock: Self.initialStock)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<32 { group.addTask { try await Self.writeOrders(client, observed) } }
                for _ in 0..<4 { group.addTask { try await Self.read(client, observed) } }
                try await Task.sleep(for: .seconds(1))
                observed.phase.store(Observed.Phase.primaryDown.rawValue, ordering: .releasing)
                try await primary.kill()
                try await Task.sleep(for: .milliseconds(500))
                try await standby.promote()
                let promoted = ContinuousClock.now
                observed.phase.store(Observed.Phase.promoted.rawValue, ordering: .releasing)
                // Hang guard only: the time to the first success is measured by scripts/bench pg-failover.
                while observed.firstConfirmedAfterPromotion.withLock({ $0 }) == nil, ContinuousClock.now - promoted < .seconds(60) {
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .seconds(1))
                observed.running.store(false, ordering: .relaxed)
                try await group.waitForAll()
            }
            let statuses = observed.statuses.withLock { $0 }
            #expect(observed.firstConfirmedAfterPromotion.withLock { $0 } != nil, "no order confirmed after the promotion: \(statuses)")
            for (key, count) in statuses {
                let status = Int(key.split(separator: " ").last!)!
                #expect([200, 201, 503].contains(status), "\(count) × \(key)")
            }
            #expect(observed.slowest.withLock { $0 } < .seconds(15), "a request hung")
            #expect(statuses.contains { $0.key.hasPrefix("primaryDown") && $0.key.hasSuffix("503") }, "\(statuses)")

            // Every confirmed order is on the promoted server; stock is conserved once every
            // unanswered order is settled.
            let promotedServer = PostgresClient(configuration: try PostgresConfiguration(url: standby.url, minConnections: 0))
            defer { Task { await promotedServer.close() } }
            let confirmed = observed.confirmed.withLock { $0 }
            let stored = Set(
                try await promotedServer.query("SELECT id FROM orders WHERE id = ANY($1)", PostgresArray(confirmed)).rows.map {
                    try $0.decode(Int64.self, "id")
                })
            #expect(confirmed.count > 0)
            #expect(Set(confirmed).subtracting(stored).isEmpty, "confirmed orders missing after the failover")
            let settledBy = ContinuousClock.now + .seconds(60)
            var total = 0
            repeat {
                let ordered = try await promotedServer.query(
                    "SELECT coalesce(sum(quantity), 0)::bigint AS n FROM order_details WHERE product_id = 'failover'"
                ).first!.decode(Int.self, "n")
                total = ordered + (try await Self.stock(client))
                if total == Self.initialStock { break }
                try await Task.sleep(for: .milliseconds(200))
            } while ContinuousClock.now < settledBy
            #expect(total == Self.initialStock, "stock + ordered = \(total)")
        }
    }

    static func writeOrders(_ client: any TestClientProtocol, _ observed: Observed) async throws {
        while observed.running.load(ordering: .relaxed) {
            let start = ContinuousClock.now
            let (status, id) = try await client.execute(
                uri: "/products-orders/orders", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: order)
            ) { response in
                (response.status, (try? JSONValue(parsing: Array(response.body.readableBytesView)))?["id"]?.intValue)
            }
            observed.record("POST /orders", status, took: ContinuousClock.now - start)
            if status == .created, let id {
                observed.confirmed.withLock { $0.append(id) }
                if observed.phase.load(ordering: .acquiring) == Observed.Phase.promoted.rawValue {
                    observed.firstConfirmedAfterPromotion.withLock { $0 = $0 ?? ContinuousClock.now }
                }
            }
            if status == .serviceUnavailable { try await Task.sleep(for: .milliseconds(20)) }
        }
    }

    static func read(_ client: any TestClientProtocol, _ observed: Observed) async throws {
        let routes = ["/area-mode/areas", "/user-points/state", "/products-orders/orders?limit=5"]
        var turn = 0
        while observed.running.load(ordering: .relaxed) {
            let route = routes[turn % routes.count]
            turn += 1
            let start = ContinuousClock.now
            let status = try await client.execute(uri: route, method: .get) { $0.status }
            observed.record("GET \(route)", status, took: ContinuousClock.now - start)
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func stock(_ client: any TestClientProtocol) async throws -> Int {
        try await client.execute(uri: "/products-orders/products/failover", method: .get) { response in
            let product = try JSONValue(parsing: Array(response.body.readableBytesView))
            return Int(product["in_stock"]?.intValue ?? -1)
        }
    }

    static func waitForSynchronousStandby(_ primary: PostgresProcess) async throws {
        let client = PostgresClient(configuration: try PostgresConfiguration(url: primary.url, minConnections: 0))
        defer { Task { await client.close() } }
        let guardTime = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < guardTime {
            let rows = try await client.query("SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'")
            if !rows.rows.isEmpty { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the standby never became synchronous")
    }
}

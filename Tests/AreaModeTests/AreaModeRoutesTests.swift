import FeatureKit
import FeatureTesting
import Hummingbird
import HummingbirdTesting
import Metrics
import SwitchyardJSON
import Synchronization
import Testing

@testable import AreaMode

#if canImport(Glibc)
    import Glibc
#endif

/// Every area-mode route through the router, over the in-memory store and cache.
@Suite struct AreaModeRoutesTests {
    let store = MemoryAreaModeStore()
    let cache = MemoryAreaStatsCache()

    func app(adminToken: String? = nil) -> some ApplicationProtocol {
        let routes = AreaModeRoutes(
            service: AreaModeService(store: store, cache: cache, metrics: NOOPMetricsHandler.instance),
            random: .seeded(3), maxBodySize: 1 << 20, adminToken: adminToken)
        return routeTestApplication(prefix: "/area-mode") { routes.addRoutes(to: $0) }
    }

    static func events(_ items: [(Int, String, String, String)]) -> String {
        let list = items.map { #"{"area_code":\#($0.0),"multiplayer_mode":"\#($0.1)","user_id":"\#($0.2)","events_name":"\#($0.3)"}"# }
        return #"{"items":[\#(list.joined(separator: ","))]}"#
    }

    static func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        try await client.json(method, "/area-mode" + uri, body)
    }

    @Test func eventsThenStatsThenAreas() async throws {
        try await app().test(.router) { client in
            let batch = Self.events([
                (101, "Duo", "u1", "LOGIN"), (101, "Duo", "u2", "LOGIN"), (101, "Squad", "u3", "LOGIN"),
                (101, "Duo", "u1", "LOGIN"), (102, "Solo", "u3", "LOGIN"), (101, "Duo", "u9", "LOGOUT"),
            ])
            let (status, report) = try await Self.send(client, .post, "/events", batch)
            #expect(status == .ok)
            #expect(report == ["status": true, "received": 6, "applied": 3, "duplicate": 1, "moved": 1, "ignored": 1])

            let (statsStatus, stats) = try await Self.send(client, .get, "/stats?area_code=101")
            #expect(statsStatus == .ok)
            #expect(stats == ["area_code": 101, "most_played": "Duo", "active_users": 2, "modes": [["multiplayer_mode": "Duo", "count": 2]]])
            let (_, areas) = try await Self.send(client, .get, "/areas")
            #expect(
                areas == [
                    ["area_code": 101, "most_played": "Duo", "active_users": 2],
                    ["area_code": 102, "most_played": "Solo", "active_users": 1],
                ])
        }
    }

    @Test func cachedStatsAreServedUntilAWriteChangesTheArea() async throws {
        try await app().test(.router) { client in
            _ = try await Self.send(client, .post, "/events", Self.events([(101, "Duo", "u1", "LOGIN")]))
            _ = try await Self.send(client, .get, "/stats?area_code=101")
            let (_, cached) = try await Self.send(client, .get, "/stats?area_code=101")
            #expect(cache.contents.withLock { $0.hits } == 1)
            #expect(cached["active_users"] == 1)
            _ = try await Self.send(client, .post, "/events", Self.events([(101, "Squad", "u2", "LOGIN")]))
            let (_, fresh) = try await Self.send(client, .get, "/stats?area_code=101")
            #expect(fresh["active_users"] == 2)
            #expect(cache.contents.withLock { $0.hits } == 1)
        }
    }

    @Test func anEmptyAreaHasNoMostPlayedMode() async throws {
        try await app().test(.router) { client in
            let (status, stats) = try await Self.send(client, .get, "/stats?area_code=500")
            #expect(status == .ok)
            #expect(stats == ["area_code": 500, "most_played": .null, "active_users": 0, "modes": []])
        }
    }

    @Test func badInputIsRefusedAndChangesNothing() async throws {
        try await app().test(.router) { client in
            for uri in ["/stats", "/stats?area_code=99", "/stats?area_code=abc"] {
                let (status, body) = try await Self.send(client, .get, uri)
                #expect(status.code == 400, "\(uri)")
                #expect(body["error"] != nil)
            }
            for body in ["{", #"{"items":[{"area_code":1}]}"#, Self.events([(101, "Duo", "u1", "JUMP")])] {
                let (status, _) = try await Self.send(client, .post, "/events", body)
                #expect(status.code / 100 == 4, "\(body)")
            }
            #expect(try await store.areas().isEmpty)
        }
    }

    @Test func oneGeneratorRunsAtATime() async throws {
        let store = HeldStore()
        let routes = AreaModeRoutes(
            service: AreaModeService(store: store, cache: cache, metrics: NOOPMetricsHandler.instance),
            random: .seeded(3), maxBodySize: 1 << 20, adminToken: nil)
        try await routeTestApplication(prefix: "/area-mode") { routes.addRoutes(to: $0) }.test(.router) { client in
            let first = Task { try await client.json(.post, "/area-mode/generate_data?count=10") }
            for await _ in store.entered { break }
            let (status, body) = try await client.json(.post, "/area-mode/generate_data?count=10")
            #expect(status == .tooManyRequests && body["error"] == "BUSY")
            store.release()
            #expect(try await first.value.0 == .ok)
            #expect(try await client.json(.post, "/area-mode/generate_data?count=10").0 == .ok)
        }
    }

    #if canImport(Glibc)
        /// The generator draws and models its events on a bulk thread (lower priority, off the
        /// event loops), whichever thread its request came in on.
        @Test func theGeneratorRunsOffTheEventLoops() async throws {
            let store = NicenessStore()
            let routes = AreaModeRoutes(
                service: AreaModeService(store: store, cache: cache, metrics: NOOPMetricsHandler.instance),
                random: .seeded(3), maxBodySize: 1 << 20, adminToken: nil)
            try await routeTestApplication(prefix: "/area-mode") { routes.addRoutes(to: $0) }.test(.live) { client in
                let response = try await client.execute(uri: "/area-mode/generate_data?count=2000", method: .post)
                #expect(response.status == .ok)
                let seen = store.niceness.withLock { $0 }
                #expect(!seen.isEmpty && seen.allSatisfy { $0 >= 10 }, "\(seen)")
            }
        }

        /// Records the niceness of the thread each batch is applied from.
        final class NicenessStore: AreaModeStore {
            let inner = MemoryAreaModeStore()
            let niceness = Mutex<[Int32]>([])

            func apply(_ events: [AreaEvent]) async throws -> (outcomes: [Outcome], changedAreas: Set<Int>) {
                let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
                niceness.withLock { $0.append(current) }
                return try await inner.apply(events)
            }
            func stats(area: Int) async throws -> AreaStats { try await inner.stats(area: area) }
            func areas() async throws -> [AreaSummary] { try await inner.areas() }
        }
    #endif

    /// A store whose first batch waits until the test releases it.
    final class HeldStore: AreaModeStore {
        let inner = MemoryAreaModeStore()
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let (released, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        private let first = Atomic<Bool>(true)

        func release() { releaseSignal.yield() }

        func apply(_ events: [AreaEvent]) async throws -> (outcomes: [Outcome], changedAreas: Set<Int>) {
            if first.exchange(false, ordering: .relaxed) {
                enteredSignal.yield()
                for await _ in released { break }
            }
            return try await inner.apply(events)
        }

        func stats(area: Int) async throws -> AreaStats { try await inner.stats(area: area) }
        func areas() async throws -> [AreaSummary] { try await inner.areas() }
    }

    @Test func generateDataIsSeededAndNeedsTheTokenWhenSet() async throws {
        try await app(adminToken: "t").test(.router) { client in
            #expect(try await Self.send(client, .post, "/generate_data?count=50&seed=1").0 == .unauthorized)
            let (status, report) = try await client.execute(
                uri: "/area-mode/generate_data?count=50&seed=1&logout_ratio=0", method: .post, headers: [.authorization: "Bearer t"]
            ) { ($0.status, $0.json ?? .null) }
            #expect(status == .ok)
            #expect(report["cnt_records_generated"] == 50 && report["events"] == 50)
            #expect(try await Self.send(client, .post, "/generate_data?area_from=200&area_to=100").0 == .unauthorized)
        }
        try await app().test(.router) { client in
            let (reversed, _) = try await Self.send(client, .post, "/generate_data?area_from=200&area_to=100")
            let (ratio, _) = try await Self.send(client, .post, "/generate_data?logout_ratio=2")
            #expect(reversed == .badRequest && ratio == .badRequest)
        }
    }
}

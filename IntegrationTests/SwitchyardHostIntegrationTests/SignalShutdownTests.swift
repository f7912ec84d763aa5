import Foundation
import HTTPClient
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import Postgres
import Testing
import UsersAPIStub

/// SIGTERM to the real binary under load: the request in flight completes, new connections
/// are refused, the process exits 0 within the drain bound, and the user-points refresh that
/// may have been running leaves one whole generation behind.
@Suite struct SignalShutdownTests {
    @Test func sigtermDrainsAndExitsZero() async throws {
        // A slow upstream makes a long request: the achievement-level list takes three
        // 700 ms upstream rounds (the list, user 2's library, their first game).
        let stub = UsersAPIStub(.init(users: 2, latency: .milliseconds(700)))
        let upstream = Application(router: stub.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await upstream.test(.live) { stubClient in
            try await drain(usersAPI: "http://127.0.0.1:\(stubClient.port!)/", stub: stub)
        }
    }

    func drain(usersAPI: String, stub: UsersAPIStub) async throws {
        let database = try await FreshDatabase.create()
        let users = 300_000
        let client = HTTPClient()
        let server = try await ServerBinary(
            environment: [
                "DATABASE_URL": database, "REDIS_URL": try TestEnvironment.redisURL, "LOG_LEVEL": "warning",
                "FEATURES": "user-points,achievement-level", "HTTP_SHUTDOWN_TIMEOUT": "5", "USERS_API_URL": usersAPI,
                "FEATURES_ACHIEVEMENT_LEVEL_CACHE_TTL": "0",
                "FEATURES_USER_POINTS_SEED_USERS": String(users), "FEATURES_USER_POINTS_REFRESH_INTERVAL": "1",
                "FEATURES_USER_POINTS_REDIS_KEY": "test:sigterm:\(UUID().uuidString)",
            ], client: client)
        let base = server.base

        // The long request, and refreshes back to back.
        let long = Task { (try await client.get(base + "/achievement-level/users", timeout: .seconds(30)), ContinuousClock.now) }
        let refresher = Task {
            while !Task.isCancelled { _ = try? await client.request("POST", base + "/user-points/refresh") }
        }
        // The signal goes once the long request is really in flight: its first upstream call
        // has reached the stub (a fixed sleep here failed on a loaded machine).
        let guardTime = ContinuousClock.now + .seconds(30)
        while stub.requests == 0, ContinuousClock.now < guardTime { try await Task.sleep(for: .milliseconds(20)) }
        let signalled = ContinuousClock.now
        let exit = Task { await server.terminate() }

        let (response, finished) = try await long.value
        #expect(finished > signalled)  // It really was in flight when the signal came.
        #expect(response.status == 200)
        let levels = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]
        #expect(levels?.compactMap { $0["overallAchievementLevel"] as? String } == ["None", "Bronze"])

        let status = await exit.value
        refresher.cancel()
        #expect(status == 0)
        // The drain bound is 5 s; 30 s only guards against a hang on a loaded machine.
        #expect(ContinuousClock.now - signalled < .seconds(30))
        await #expect(throws: HTTPClientError.self) { try await client.get(base + "/health", timeout: .seconds(2)) }
        await client.shutdown()

        // One whole generation: the view reads a complete table that matches the state row.
        let postgres = PostgresClient(configuration: try PostgresConfiguration(url: database, minConnections: 0))
        let row = try await postgres.query(
            "SELECT (SELECT count(*) FROM user_points_current) AS n, (SELECT generation FROM user_points_state) AS g"
        ).first
        #expect(try row?.decode(Int64.self, "n") == Int64(users))
        let tables = try await postgres.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'user_points_g%'")
        let generation = try row?.decode(Int64.self, "g") ?? -1
        #expect(try tables.rows.map { try $0.decode(String.self, "tablename") }.contains("user_points_g\(generation)"))
        await postgres.close()
    }
}

import Foundation
import IntegrationSupport
import Postgres
import Testing

@Suite(.serialized) struct PostgresFailureTests {
    @Test func crashAndRestartGiveTypedErrorsThenRecovery() async throws {
        let server = try PostgresProcess()
        defer { server.destroy() }
        try await server.start()
        let client = PostgresClient(
            configuration: try PostgresConfiguration(url: server.url, maxConnections: 4, acquireTimeout: .seconds(1)))
        #expect(try await client.query("SELECT 1 AS one").first!.decode(Int.self, "one") == 1)

        // The crash comes once queries are succeeding; each loader keeps going until it has met
        // the outage (events; 30 s only guards a hang).
        let progress = LoadProgress()
        let guardTime = ContinuousClock.now + .seconds(30)
        let outcome = try await withThrowingTaskGroup(of: (ok: Int, unavailable: Int).self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var result = (ok: 0, unavailable: 0)
                    while result.unavailable == 0 || !progress.killed.load(ordering: .relaxed), ContinuousClock.now < guardTime {
                        do {
                            _ = try await client.query("SELECT 1")
                            result.ok += 1
                            progress.successes.add(1, ordering: .relaxed)
                        } catch let error as PostgresError {
                            #expect(error.isUnavailable, "unexpected \(error)")
                            result.unavailable += 1
                            try await Task.sleep(for: .milliseconds(10))
                        }
                    }
                    return result
                }
            }
            while progress.successes.load(ordering: .relaxed) < 16, ContinuousClock.now < guardTime {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await server.crash()
            progress.killed.store(true, ordering: .relaxed)
            return try await group.reduce(into: (ok: 0, unavailable: 0)) {
                $0.ok += $1.ok
                $0.unavailable += $1.unavailable
            }
        }
        #expect(outcome.ok > 0)
        #expect(outcome.unavailable > 0)

        try await server.start()
        var recovered = false
        let restarted = ContinuousClock.now
        while !recovered, ContinuousClock.now - restarted < .seconds(15) {  // a hang guard
            recovered = (try? await client.query("SELECT 1")) != nil
            if !recovered { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(recovered)
        await client.close()
    }

    @Test func refusedConnectionIsUnavailable() async throws {
        let client = PostgresClient(configuration: try PostgresConfiguration(url: "postgres://x@127.0.0.1:1/db"))
        let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
        #expect(error?.isUnavailable == true)
        #expect(await client.problem() != nil)
        await client.close()
    }

    @Test func wrongPasswordIsAClearError() async throws {
        var components = URLComponents(string: try TestEnvironment.databaseURL)!
        components.password = "definitely-wrong"
        let client = PostgresClient(configuration: try PostgresConfiguration(url: components.string!))
        let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
        // PostgreSQL's words, or pgbouncer's where the suite runs through it (scripts/test --pgbouncer).
        let said = error?.description ?? ""
        #expect(said.contains("password authentication failed") || said.contains("SASL authentication failed"), "\(said)")
        await client.close()
    }

    @Test(.disabled(if: TestEnvironment.throughPooler, "behind a pooler statement_timeout is the role's"))
    func statementTimeoutCancelsLongQueries() async throws {
        let client = PostgresClient(
            configuration: try PostgresConfiguration(url: try TestEnvironment.databaseURL, statementTimeout: .milliseconds(200)))
        let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT pg_sleep(2)") }
        #expect(error?.sqlState == "57014")
        #expect(try await client.query("SELECT 1 AS one").first!.decode(Int.self, "one") == 1)
        await client.close()
    }
}

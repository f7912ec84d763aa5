import Foundation
import IntegrationSupport
import Postgres
import Synchronization
import Testing

/// Callers sharing pipelined connections never get one another's answers, whatever a
/// neighbour in the same pipeline sends; transactions that rolled back never pass for committed.
@Suite struct PostgresPipelineIntegrityTests {
    /// One shared connection, so every concurrent statement rides the same pipelines.
    static func client() throws -> PostgresClient {
        PostgresClient(configuration: try PostgresConfiguration(url: try TestEnvironment.databaseURL, minConnections: 0, pipelinedConnections: 1))
    }

    /// Its own nonce back, or the statement's own error: nothing shifted by a neighbour.
    static func echo(_ client: PostgresClient, _ nonce: String) async throws {
        let answer = try await client.query("SELECT $1::text AS echo", parameters: [nonce]).first?.decode(String.self, "echo")
        #expect(answer == nonce)
    }

    @Test func badNeighboursDoNotShiftAnswers() async throws {
        let client = try Self.client()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<600 {
                group.addTask {
                    switch index % 10 {
                    case 3:
                        let error = await #expect(throws: PostgresError.self) {
                            try await client.query("SELECT $1::text AS echo", parameters: ["nul\u{0}inside"])
                        }
                        #expect(error?.sqlState == "22021")
                    case 5:
                        let error = await #expect(throws: PostgresError.self) { try await client.query("", parameters: []) }
                        #expect(error?.sqlState != nil, "an empty query is the statement's error: \(String(describing: error))")
                    case 7:
                        await #expect(throws: PostgresError.self) {
                            try await client.query("SELECT $1::int + $2::int AS sum", parameters: [1])
                        }
                    default:
                        try await Self.echo(client, "caller-\(index)")
                    }
                }
            }
            try await group.waitForAll()
        }
        // Afterwards: 1,000 concurrent callers, each with its own answer.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<1_000 { group.addTask { try await Self.echo(client, "after-\(index)-\(UUID().uuidString)") } }
            try await group.waitForAll()
        }
        await client.close()
    }

    /// A failing prepare among good ones in one pipeline, round after round: every statement
    /// still runs as itself (names are never handed out twice).
    @Test func failedPreparesNeverLendTheirNames() async throws {
        let client = try Self.client()
        for round in 0..<20 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let answer = try await client.query("SELECT $1::text || '-a\(round)' AS v", parameters: ["r"]).first
                    #expect(try answer?.decode(String.self, "v") == "r-a\(round)")
                }
                group.addTask {
                    await #expect(throws: PostgresError.self) { try await client.query("SELEC broken \(round)", parameters: []) }
                }
                group.addTask {
                    let answer = try await client.query("SELECT $1::int * 2 + \(round) AS v", parameters: [21]).first
                    #expect(try answer?.decode(Int.self, "v") == 42 + round)
                }
                try await group.waitForAll()
            }
            let sql = "SELECT $1::text || '-d\(round)' AS v"
            #expect(try await client.query(sql, parameters: ["r"]).first?.decode(String.self, "v") == "r-d\(round)")
        }
        await client.close()
    }

    @Test func aCommitThatRolledBackThrows() async throws {
        let client = PostgresClient(configuration: try PostgresConfiguration(url: try TestEnvironment.databaseURL, minConnections: 0))
        let table = "rolled_back_\(UUID().uuidString.prefix(8).lowercased())"
        try await client.execute("CREATE TABLE \(table) (n int)")
        let error = await #expect(throws: PostgresError.self) {
            try await client.transaction { tx in
                try await tx.execute("INSERT INTO \(table) VALUES (1)")
                // The body swallows a failed statement, which aborts the transaction.
                _ = try? await tx.query("SELECT 1 / 0")
                return 1
            }
        }
        #expect(error?.sqlState == "25P02")
        #expect(try await client.query("SELECT count(*) AS n FROM \(table)").first?.decode(Int.self, "n") == 0)
        try await client.execute("DROP TABLE \(table)")
        await client.close()
    }
}

/// Waiting for a pooled connection: a caller that goes away gets its own cancellation at once,
/// never a wait with no end nor a database error; a closed client answers with a PostgreSQL error.
@Suite struct PostgresPoolWaitTests {
    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    @Test func aCancelledWaiterLeavesAtOnceWithCancellation() async throws {
        let client = PostgresClient(
            configuration: try PostgresConfiguration(
                url: try TestEnvironment.databaseURL, minConnections: 0, maxConnections: 1, acquireTimeout: .seconds(60)))
        let holderDone = Flag()
        let holder = Task {
            try await client.transaction { try await $0.execute("SELECT pg_sleep(3)") }
            holderDone.value.store(true, ordering: .relaxed)
        }
        try await Task.sleep(for: .milliseconds(300))
        for cancelFirst in [true, false] {
            let waiter = Task { try await client.transaction { try await $0.query("SELECT 1") } }
            if !cancelFirst { try await Task.sleep(for: .milliseconds(100)) }
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            // It did not wait for the connection: the holder still has it.
            let holderFinished = holderDone.value.load(ordering: .relaxed)
            #expect(!holderFinished)
        }
        try await holder.value
        #expect(try await client.transaction { try await $0.query("SELECT 1 AS one").first?.decode(Int.self, "one") } == 1)
        await client.close()
    }

    @Test func aClosedClientAnswersWithAPostgresError() async throws {
        let client = PostgresClient(configuration: try PostgresConfiguration(url: try TestEnvironment.databaseURL, minConnections: 0))
        _ = try await client.transaction { try await $0.query("SELECT 1") }
        await client.close()
        let error = await #expect(throws: PostgresError.self) { try await client.transaction { try await $0.query("SELECT 1") } }
        #expect(error?.isUnavailable == true)
        await #expect(throws: PostgresError.self) { try await client.copyIn("COPY nothing FROM STDIN", rows: []) }
    }
}

/// A transaction handle shared by concurrent tasks, or kept past its transaction.
@Suite struct PostgresTransactionHandleTests {
    final class Kept: Sendable {
        let handle = Mutex<PostgresTransaction?>(nil)
    }

    @Test func concurrentCallsTakeTurnsAndAKeptHandleIsRefused() async throws {
        let client = PostgresClient(configuration: try PostgresConfiguration(url: try TestEnvironment.databaseURL, minConnections: 0))
        let kept = Kept()
        let sums = try await client.transaction { tx in
            kept.handle.withLock { $0 = tx }
            // Many concurrent statements on one transaction, each with its own answer.
            return try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let row = try await tx.query("SELECT $1::int + 1000 AS n, pg_sleep(0.001)::text AS s", parameters: [index]).first
                        return (index, try row?.decode(Int.self, "n") ?? -1)
                    }
                }
                return try await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
            }
        }
        #expect(sums.count == 50 && sums.allSatisfy { $0.value == $0.key + 1000 })
        let stale = try #require(kept.handle.withLock { $0 })
        let error = await #expect(throws: PostgresError.self) { try await stale.query("SELECT 1") }
        #expect(error?.sqlState == "25000")
        await client.close()
    }
}

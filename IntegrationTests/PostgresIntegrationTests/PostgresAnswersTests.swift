import Foundation
import IntegrationSupport
import Postgres
import Synchronization
import Testing

/// Every answer true: a statement that ran is never reported as failed, a deadline ends only its
/// own caller's wait, maintenance waits as long as it must, a transaction's connection is used by
/// one call at a time to the very end, and what a connection keeps stays bounded.
@Suite(.timeLimit(.minutes(2))) struct PostgresAnswersTests {
    /// A client whose one shared connection is made (`waitUntilConnected`).
    static func client(queryTimeout: Duration = .seconds(10), statementCache: Int = 100) async throws -> PostgresClient {
        let client = PostgresClient(
            configuration: try PostgresConfiguration(
                url: try TestEnvironment.databaseURL, minConnections: 0, pipelinedConnections: 1, queryTimeout: queryTimeout,
                statementCacheSize: statementCache))
        try await client.waitUntilConnected()
        return client
    }

    static func table(_ name: String) -> String { "\(name)_\(UUID().uuidString.prefix(8).lowercased())" }

    /// A new table whose every insert makes COMMIT sleep `seconds` (a deferred constraint trigger).
    static func tableWithSlowCommit(_ client: PostgresClient, _ name: String, sleeping seconds: Int) async throws -> String {
        let table = Self.table(name)
        try await client.transaction(work: .maintenance) { tx in
            try await tx.executeScript(
                """
                CREATE TABLE \(table) (id int);
                CREATE FUNCTION \(table)_sleep() RETURNS trigger LANGUAGE plpgsql AS
                    $$ BEGIN PERFORM pg_sleep(\(seconds)); RETURN NULL; END $$;
                CREATE CONSTRAINT TRIGGER \(table)_slow AFTER INSERT ON \(table)
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION \(table)_sleep();
                """)
        }
        return table
    }

    /// A sleeps 3 s alone on the connection; B's INSERT and C's 1.5 s sleep then share the next
    /// batch. B's deadline passes while C runs: B has had its answer since its segment was read,
    /// and C, whose own deadline is far off, is neither cancelled nor failed.
    @Test func eachCallerHasItsOwnAnswerAndItsOwnDeadline() async throws {
        let client = try await Self.client(queryTimeout: .seconds(4))
        let table = Self.table("answers")
        try await client.execute("CREATE TABLE \(table) (id int)")
        async let a = client.query("SELECT pg_sleep(3), 'a' AS v")
        try await Task.sleep(for: .milliseconds(300))
        async let b = client.execute("INSERT INTO \(table) VALUES (1)")
        try await Task.sleep(for: .milliseconds(1_900))
        async let c = client.query("SELECT pg_sleep(1.5), 'c' AS v")
        #expect(try await a.first?.decode(String.self, "v") == "a")
        #expect(try await b == 1)
        #expect(try await c.first?.decode(String.self, "v") == "c")
        #expect(try await client.query("SELECT count(*) AS n FROM \(table)").first?.decode(Int.self, "n") == 1)
        try await client.execute("DROP TABLE \(table)")
        await client.close()
    }

    /// A deadline that passes while the caller's own statement runs ends that caller's wait as
    /// "outcome unknown" (it was sent), and the next caller's statement still runs.
    @Test func anOverdueStatementIsOutcomeUnknownAndItsNeighbourRuns() async throws {
        let client = try await Self.client(queryTimeout: .seconds(1))
        let slow = Task { try await client.query("SELECT pg_sleep(5)") }
        try await Task.sleep(for: .milliseconds(200))
        let error = await #expect(throws: PostgresError.self) { try await slow.value }
        #expect(error?.isOutcomeUnknown == true, "\(String(describing: error))")
        #expect(try await client.query("SELECT 'next' AS v").first?.decode(String.self, "v") == "next")
        await client.close()
    }

    /// A COMMIT slowed past the deadline by a deferred constraint trigger: committed, or
    /// "outcome unknown", never "not done".
    /// The margins leave BEGIN and the INSERT 3 s on a loaded machine; only COMMIT sleeps past it.
    @Test func aSlowCommitIsNeverReportedAsNotDone() async throws {
        let client = try await Self.client(queryTimeout: .seconds(3))
        let table = try await Self.tableWithSlowCommit(client, "slow_commit", sleeping: 6)
        do {
            _ = try await client.transaction { tx in try await tx.execute("INSERT INTO \(table) VALUES (1)") }
            #expect(try await client.query("SELECT count(*) AS n FROM \(table)").first?.decode(Int.self, "n") == 1)
        } catch let error as PostgresError {
            #expect(error.isOutcomeUnknown, "\(error)")
        }
        try await client.transaction(work: .maintenance) { try await $0.executeScript("DROP TABLE \(table); DROP FUNCTION \(table)_sleep()") }
        await client.close()
    }

    /// Migrations and standalone maintenance run past `postgres.query-timeout`, and migrators
    /// started together wait for each other instead of failing.
    @Test func maintenanceHasNoQueryDeadline() async throws {
        let feature = "slow-\(UUID().uuidString.prefix(8).lowercased())"
        let migrations = [Migration(version: 1, name: "slow", sql: "SELECT pg_sleep(2)")]
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<2 {
                group.addTask {
                    let own = try await Self.client(queryTimeout: .seconds(1))
                    let versions = try await Migrator(client: own).apply(feature: feature, migrations)
                    await own.close()
                    return versions
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied == [1])
        let client = try await Self.client(queryTimeout: .seconds(1))
        let usual = try await client.transaction { try await $0.query("SHOW statement_timeout") }.first?.decode(String.self, at: 0)
        // The client's own, except behind a pooler (scripts/test --pgbouncer), where it is the role's.
        if !TestEnvironment.throughPooler { #expect(usual == "30s") }
        try await client.executeStandalone("SELECT pg_sleep(1.5)")
        // The session's usual statement timeout is back afterwards.
        let timeout = try await client.transaction { try await $0.query("SHOW statement_timeout") }
        #expect(try timeout.first?.decode(String.self, at: 0) == usual)
        await client.close()
    }

    /// A call that escaped the body and queues behind COMMIT is refused (25000), never run after it.
    @Test func aCallQueuedBehindCommitIsRefused() async throws {
        let client = try await Self.client()
        let table = try await Self.tableWithSlowCommit(client, "escaped", sleeping: 1)
        let escaped = try await client.transaction { tx in
            try await tx.execute("INSERT INTO \(table) VALUES (1)")
            return Task {
                try await Task.sleep(for: .milliseconds(300))
                return try await tx.query("SELECT 1")
            }
        }
        let error = await #expect(throws: PostgresError.self) { try await escaped.value }
        #expect(error?.sqlState == "25000", "\(String(describing: error))")
        try await client.transaction(work: .maintenance) { try await $0.executeScript("DROP TABLE \(table); DROP FUNCTION \(table)_sleep()") }
        await client.close()
    }

    /// A call running when the body throws keeps the connection until it ends: ROLLBACK waits
    /// for it instead of using the connection from another thread at the same time.
    @Test func rollbackWaitsForARunningEscapedCall() async throws {
        struct Planned: Error {}
        let client = try await Self.client()
        let started = ContinuousClock.now
        let escaped = Mutex<Task<PostgresRows, any Error>?>(nil)
        await #expect(throws: Planned.self) {
            try await client.transaction { tx in
                escaped.withLock { $0 = Task { try await tx.query("SELECT pg_sleep(1), 'done' AS v") } }
                try await Task.sleep(for: .milliseconds(200))
                throw Planned()
            }
        }
        // The transaction ended only after the escaped call had its answer.
        #expect(ContinuousClock.now - started >= .milliseconds(900))
        let answer = try await escaped.withLock { $0 }!.value
        #expect(try answer.first?.decode(String.self, "v") == "done")
        #expect(try await client.transaction { try await $0.query("SELECT 2 AS v") }.first?.decode(Int.self, "v") == 2)
        await client.close()
    }

    /// Statements of one batch that share a prepare that failed get the prepare's own error, not
    /// "prepared statement does not exist" (26000, which a cancel hitting the prepare turned
    /// into 500s).
    @Test func aFailedPrepareAnswersItsBatchWithItsOwnError() async throws {
        let client = try await Self.client()
        let sql = "SELEC broken_\(UUID().uuidString.prefix(8))"
        await #expect(throws: PostgresError.self) { try await client.query(sql) }
        let states = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        _ = try await client.query(sql)
                        return nil
                    } catch {
                        return (error as? PostgresError)?.sqlState
                    }
                }
            }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(states.allSatisfy { $0 == "42601" }, "\(states)")
        await client.close()
    }

    /// Session and transaction state never reaches the shared connections.
    @Test func sessionChangingStatementsAreRefusedOnSharedConnections() async throws {
        let client = try await Self.client()
        for sql in [
            "BEGIN", "  set search_path = x", "/* c */ LISTEN x", "-- c\nSTART TRANSACTION", "SELECT set_config('a.b', '1', false)",
            "SELECT pg_advisory_lock(1)", "DISCARD ALL", "(COMMIT)",
        ] {
            let error = await #expect(throws: PostgresError.self) { try await client.query(sql) }
            #expect(error?.sqlState == "0A000", "\(sql): \(String(describing: error))")
        }
        // Ordinary statements keep using one connection batch after batch: one server session,
        // except through a pooler in transaction mode (scripts/test --pgbouncer), which hands
        // each statement any session.
        let pooled = TestEnvironment.throughPooler
        let first = try await client.query("SELECT pg_backend_pid() AS pid").first!.decode(Int.self, "pid")
        for _ in 0..<5 where !pooled {
            #expect(try await client.query("SELECT pg_backend_pid() AS pid").first!.decode(Int.self, "pid") == first)
        }
        await client.close()
    }

    /// One-off statements are not kept prepared, and repeating ones at most
    /// `postgres.statement-cache-size` per connection.
    @Test func preparedStatementsStayBounded() async throws {
        let client = try await Self.client(statementCache: 8)
        func preparedCount() async throws -> Int {
            try await client.query("SELECT count(*) AS n FROM pg_prepared_statements").first!.decode(Int.self, "n")
        }
        for index in 0..<100 {
            try await client.query("SELECT $1::int + \(index) AS once", index)
        }
        #expect(try await preparedCount() <= 1)
        var counts: [Int] = []
        for index in 0..<100 {
            // A per-generation statement: used a few times, then never again.
            for _ in 0..<3 { try await client.query("SELECT $1::int + \(index) AS generation", index) }
            if index % 25 == 24 { counts.append(try await preparedCount()) }
        }
        #expect(counts.allSatisfy { $0 <= 9 }, "\(counts)")
        // The same holds on the transactions' connections, which hold their own.
        let inTransaction = try await client.transaction { tx in
            for index in 0..<50 {
                for _ in 0..<2 { try await tx.query("SELECT $1::int - \(index)", index) }
            }
            return try await tx.query("SELECT count(*) AS n FROM pg_prepared_statements").first!.decode(Int.self, "n")
        }
        #expect(inTransaction <= 9)
        await client.close()
    }

    /// Calls made while the client closes get a PostgreSQL error (503), never a bare
    /// cancellation that would become a 500.
    @Test func callsDuringCloseAreUnavailable() async throws {
        let client = try await Self.client()
        _ = try await client.transaction { try await $0.query("SELECT 1") }
        let errors = await withTaskGroup(of: (any Error)?.self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        if index % 2 == 0 {
                            _ = try await client.transaction { try await $0.query("SELECT pg_sleep(0.05)") }
                        } else {
                            try await client.query("SELECT pg_sleep(0.05)")
                        }
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(20))
                await client.close()
                return nil
            }
            return await group.compactMap { $0 }.reduce(into: [any Error]()) { $0.append($1) }
        }
        for error in errors {
            #expect((error as? PostgresError)?.isUnavailable == true, "\(error)")
        }
    }
}

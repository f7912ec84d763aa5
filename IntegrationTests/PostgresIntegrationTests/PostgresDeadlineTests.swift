import Foundation
import IntegrationSupport
import Postgres
import Testing

/// `postgres.query-timeout` against a network that stops answering: chaos-proxy black-holes the
/// connection (nothing forwarded, nothing closed, so no TCP timer fires for minutes).
@Suite(.serialized, .timeLimit(.minutes(1))) struct PostgresDeadlineTests {
    /// A client whose connections go through a proxy to the suite's PostgreSQL.
    func withProxiedClient(
        queryTimeout: Duration = .seconds(1), maxQueued: Int = 4096,
        _ body: (PostgresClient, ChaosProxy) async throws -> Void
    ) async throws {
        let (proxy, url) = try await ChaosProxy.inFront(of: try TestEnvironment.databaseURL)
        defer { proxy.stop() }
        let client = PostgresClient(
            configuration: try PostgresConfiguration(
                url: url, maxConnections: 2, pipelinedConnections: 1, queryTimeout: queryTimeout,
                maxQueuedStatements: maxQueued))
        try await client.waitUntilConnected()
        // An idle exclusive connection too, so transactions meet the black hole on a live one.
        try await client.transaction { try await $0.query("SELECT 1") }
        try await body(client, proxy)
        try await proxy.set(.pass)
        await client.close()
    }

    static func isDeadline(_ error: (any Error)?) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isUnavailable && error.description.contains("postgres.query-timeout")
    }

    /// 3 s: room for the reconnect after the resume, through the Docker stack's published port too.
    @Test func blackHoledQueryFailsAtItsDeadlineThenTheNextOneWorks() async throws {
        try await withProxiedClient(queryTimeout: .seconds(3)) { client, proxy in
            try await proxy.set(.blackhole)
            let started = ContinuousClock.now
            let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT 2") }
            #expect(Self.isDeadline(error), "\(String(describing: error))")
            // The deadline is 3 s; the kernel would have waited minutes. 15 s only guards a hang.
            #expect(ContinuousClock.now - started < .seconds(15))
            let inTransaction = await #expect(throws: PostgresError.self) {
                try await client.transaction { try await $0.query("SELECT 3") }
            }
            #expect(Self.isDeadline(inTransaction), "\(String(describing: inTransaction))")

            try await proxy.set(.pass)
            #expect(try await client.query("SELECT 4 AS four").first!.decode(Int.self, "four") == 4)
            let value = try await client.transaction { try await $0.query("SELECT 5 AS five").first!.decode(Int.self, "five") }
            #expect(value == 5)
        }
    }

    @Test func fullQueueRefusesAtOnceAndNothingWaitsPastItsDeadline() async throws {
        try await withProxiedClient(maxQueued: 4) { client, proxy in
            try await proxy.set(.blackhole)
            let errors = await withTaskGroup(of: PostgresError?.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await client.query("SELECT $1::int", index)
                            return nil
                        } catch {
                            return error as? PostgresError
                        }
                    }
                }
                return await group.reduce(into: [PostgresError?]()) { $0.append($1) }
            }
            #expect(errors.allSatisfy { $0?.isUnavailable == true }, "\(errors)")
            #expect(errors.contains { $0?.description.contains("postgres.max-queue") == true })
            #expect(errors.contains { Self.isDeadline($0) })
            try await proxy.set(.pass)
            #expect(try await client.query("SELECT 6 AS six").first!.decode(Int.self, "six") == 6)
        }
    }

    /// A statement waiting for its connection to be made is answered at its own deadline,
    /// not at the end of the connect timeout, and as never sent.
    @Test func aStatementWaitingForTheConnectIsAnsweredAtItsDeadline() async throws {
        let (proxy, url) = try await ChaosProxy.inFront(of: try TestEnvironment.databaseURL)
        defer { proxy.stop() }
        try await proxy.set(.blackhole)
        let client = PostgresClient(
            configuration: try PostgresConfiguration(
                url: url, minConnections: 0, pipelinedConnections: 1, queryTimeout: .seconds(1),
                connectTimeoutSeconds: 30))
        let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
        // The deadline's error (1 s), not the connect's (30 s); nothing was sent.
        #expect(Self.isDeadline(error) && error?.isOutcomeUnknown == false, "\(String(describing: error))")
        try await proxy.set(.pass)
        await client.close()
    }

    @Test func cancelledCallerStopsWaitingOnABlackHole() async throws {
        try await withProxiedClient(queryTimeout: .seconds(60)) { client, proxy in
            try await proxy.set(.blackhole)
            let waiting = Task { try await client.query("SELECT 7") }
            try await Task.sleep(for: .milliseconds(200))
            waiting.cancel()
            await #expect(throws: CancellationError.self) { try await waiting.value }
        }
    }
}

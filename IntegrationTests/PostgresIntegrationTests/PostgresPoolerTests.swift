import Foundation
import IntegrationSupport
import Postgres
import Testing

/// The client through pgbouncer as Debian 12 ships it (1.18): it refuses the `options` startup
/// parameter, and in transaction mode hands each transaction any server session, keeping no
/// prepared statement of a client's across them.
@Suite struct PostgresPoolerTests {
    static func client(_ url: String, _ prepared: PostgresConfiguration.PreparedStatements = .auto) throws -> PostgresClient {
        PostgresClient(
            configuration: try PostgresConfiguration(
                url: url, minConnections: 0, maxConnections: 2, pipelinedConnections: 1, statementTimeout: .seconds(7),
                preparedStatements: prepared))
    }

    /// Four clients, each repeating a statement of its own (so each prepares its own under the
    /// same generated names where statements are named), through 2 server sessions in
    /// transaction mode: every answer must be its own statement's.
    @Test func noClientEverRunsAnotherClientsStatement() async throws {
        let bouncer = try PgBouncerProcess(.transaction)
        defer { bouncer.stop() }
        try await bouncer.start()
        let clients = try (0..<4).map { _ in try Self.client(bouncer.url) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    let sql = "SELECT $1::int + \(index * 1000)"
                    for round in 0..<100 {
                        #expect(try await client.query(sql, round).first?.decode(Int.self, at: 0) == round + index * 1000)
                        let inTransaction = try await client.transaction { try await $0.query(sql, round).first?.decode(Int.self, at: 0) }
                        #expect(inTransaction == round + index * 1000)
                    }
                }
            }
            try await group.waitForAll()
        }
        for client in clients { await client.close() }
    }

    /// The settings the pooler keeps per client reach the server by SET when `options` is
    /// refused or dropped; the others (they would leak from one server session to the next
    /// client) are left to the role, here the server's defaults. Repeated statements stay
    /// unnamed (`auto`), so nothing is left prepared in a session.
    @Test(arguments: [false, true]) func sessionSettingsAreSetWhereOptionsCannotCarryThem(ignoringOptions: Bool) async throws {
        let bouncer = try PgBouncerProcess(.session, ignoringOptions: ignoringOptions)
        defer { bouncer.stop() }
        try await bouncer.start()
        let client = try Self.client(bouncer.url)
        for (setting, value) in [("TimeZone", "UTC"), ("DateStyle", "ISO, MDY"), ("client_encoding", "UTF8"), ("statement_timeout", "0")] {
            #expect(try await client.query("SELECT current_setting($1)", setting).first?.decode(String.self, at: 0) == value)
        }
        for _ in 0..<3 { _ = try await client.query("SELECT count(*) FROM pg_prepared_statements") }
        #expect(try await client.query("SELECT count(*) FROM pg_prepared_statements").first?.decode(Int.self, at: 0) == 0)
        await client.close()

        // Named on request: repeated statements are prepared in the session as on a direct connection.
        let named = try Self.client(bouncer.url, .named)
        for _ in 0..<3 { _ = try await named.query("SELECT count(*) FROM pg_prepared_statements") }
        #expect(try await named.query("SELECT count(*) FROM pg_prepared_statements").first?.decode(Int.self, at: 0) ?? 0 > 0)
        await named.close()
    }
}

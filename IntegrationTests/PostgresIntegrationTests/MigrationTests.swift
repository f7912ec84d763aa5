import Foundation
import IntegrationSupport
import Postgres
import Testing

@Suite struct MigrationTests {
    let client: PostgresClient
    let feature = "test-\(UUID().uuidString.prefix(8).lowercased())"

    init() throws {
        client = PostgresClient(configuration: try PostgresConfiguration(url: try TestEnvironment.databaseURL))
    }

    var table: String { "m_" + feature.replacingOccurrences(of: "-", with: "_") }

    var migrations: [Migration] {
        [
            Migration(version: 1, name: "create", sql: "CREATE TABLE \(table) (id int PRIMARY KEY)"),
            Migration(
                version: 2, name: "seed",
                sql: "ALTER TABLE \(table) ADD COLUMN label text; INSERT INTO \(table) VALUES (1, 'one');"),
        ]
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let own = PostgresClient(
                        configuration: try PostgresConfiguration(url: try TestEnvironment.databaseURL))
                    defer { Task { await own.close() } }
                    return try await Migrator(client: own).apply(feature: feature, migrations)
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == [1, 2])
        let recorded = try await client.query(
            "SELECT version FROM switchyard_migrations WHERE feature = $1 ORDER BY version", feature)
        #expect(try recorded.rows.map { try $0.decode(Int.self, "version") } == [1, 2])
        #expect(try await client.query("SELECT count(*) FROM \(table)").first!.decode(Int.self, at: 0) == 1)
        #expect(try await Migrator(client: client).apply(feature: feature, migrations).isEmpty)
    }

    @Test func changedMigrationStopsWithAClearError() async throws {
        try await Migrator(client: client).apply(feature: feature, migrations)
        var edited = migrations
        edited[0].sql += " -- edited"
        await #expect(throws: MigrationError.checksumMismatch(feature: feature, version: 1, name: "create")) {
            try await Migrator(client: client).apply(feature: feature, edited)
        }
    }

    @Test func failingMigrationLeavesNothingBehind() async throws {
        let broken = migrations + [Migration(version: 3, name: "broken", sql: "ALTER TABLE nope ADD COLUMN x int")]
        await #expect(throws: PostgresError.self) { try await Migrator(client: client).apply(feature: feature, broken) }
        // The bookkeeping table itself may be missing: the failed transaction created it, unless
        // another test's migrations ran on this database first.
        let bookkept = try await client.query("SELECT to_regclass('switchyard_migrations') IS NOT NULL AS present")
        if try bookkept.first!.decode(Bool.self, "present") {
            let recorded = try await client.query("SELECT count(*) FROM switchyard_migrations WHERE feature = $1", feature)
            #expect(try recorded.first!.decode(Int.self, at: 0) == 0)
        }
        #expect(try await client.query("SELECT to_regclass($1) IS NULL AS gone", table).first!.decode(Bool.self, "gone"))
    }
}

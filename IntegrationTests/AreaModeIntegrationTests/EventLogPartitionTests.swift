import Foundation
import HummingbirdTesting
import IntegrationSupport
import Postgres
import Testing

@testable import AreaMode

/// The area-mode event log is partitioned by day: partitions exist days ahead, expired ones
/// go whole, and a log from before partitioning becomes a partition of its own.
@Suite struct EventLogPartitionTests {
    static let day = 86_400.0
    /// Noon UTC, so "a day later" never lands on a partition boundary.
    static let noon = Date(timeIntervalSince1970: 1_800_014_400)

    func count(_ db: PostgresClient, _ table: String) async throws -> Int {
        try await db.query("SELECT count(*) FROM \(table)").first!.decode(Int.self, at: 0)
    }

    @Test func partitionsAreMadeAheadAndExpiredOnesDroppedWhole() async throws {
        let db = PostgresClient(configuration: try PostgresConfiguration(url: try await FreshDatabase.create(), minConnections: 0))
        try await db.execute("CREATE TABLE log (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at)")
        let partitions = DailyPartitions(table: "log", retention: .seconds(7 * 86_400), daysAhead: 3)
        let first = try await partitions.maintain(db, now: Self.noon)
        #expect(first.created == ["log_p20270115", "log_p20270116", "log_p20270117", "log_p20270118"])
        #expect(first.dropped.isEmpty)
        // Writes up to three days ahead find their partition.
        for offset in [0.0, 1, 3.4] {
            try await db.execute("INSERT INTO log VALUES (to_timestamp($1), 1)", (Self.noon + offset * Self.day).timeIntervalSince1970)
        }
        #expect(try await partitions.maintain(db, now: Self.noon + 0.2 * Self.day) == ([], []))

        // 8 days on, the first day ended more than 7 days ago; the second did not.
        let later = try await partitions.maintain(db, now: Self.noon + 8 * Self.day)
        #expect(later.dropped == ["log_p20270115"])
        // Days already past are not made.
        #expect(later.created == ["log_p20270123", "log_p20270124", "log_p20270125", "log_p20270126"])
        #expect(try await count(db, "log") == 2)
        let names = try await partitions.partitions(db).map(\.name)
        #expect(names.first == "log_p20270116" && names.last == "log_p20270126")
        await db.close()
    }

    @Test func aLogFromBeforePartitioningBecomesAPartitionAndExpiresWhole() async throws {
        let url = try await FreshDatabase.create()
        let db = PostgresClient(configuration: try PostgresConfiguration(url: url, minConnections: 0))
        try await Migrator(client: db).apply(feature: "area-mode", Array(PostgresAreaModeStore.migrations.prefix(1)))
        try await db.execute(
            """
            INSERT INTO area_mode_events (area_code, multiplayer_mode, user_id, event, outcome)
            SELECT 101, 'Duo', 'u' || n, 'LOGIN', 'applied' FROM generate_series(1, 500) AS n
            """)
        try await db.execute("INSERT INTO area_mode_counts VALUES (101, 'Duo', 500)")

        // The server applies the rest of the migrations and makes the days ahead.
        let fixture = AreaModeFixture(databaseURL: url)
        try await fixture.server().application.test(.router) { client in
            #expect(try await client.stats(101).modes.first?.count == 500)
            try await client.post([Event(area_code: 101, multiplayer_mode: "Duo", user_id: "new", events_name: "LOGIN")])
            #expect(try await client.stats(101).modes.first?.count == 501)
        }
        #expect(try await count(db, "area_mode_events") == 501)
        let kind = try await db.query("SELECT relkind::text FROM pg_class WHERE relname = 'area_mode_events'")
        #expect(try kind.first!.decode(String.self, at: 0) == "p")
        let log = DailyPartitions(table: PostgresAreaModeStore.eventLog, retention: .seconds(7 * 86_400))
        let partitions = try await log.partitions(db)
        #expect(partitions.first?.name == "area_mode_events_unpartitioned")
        #expect(partitions.last.flatMap(\.end).map { $0 > Date() + 3 * Self.day } == true)

        // Past the retention, the old log goes in one piece (with today's rows: it covers the
        // day up to midnight UTC).
        let dropped = try await log.maintain(db, now: Date() + 8 * Self.day).dropped
        #expect(dropped == ["area_mode_events_unpartitioned"])
        #expect(try await count(db, "area_mode_events") == 0)
        await db.close()
    }
}

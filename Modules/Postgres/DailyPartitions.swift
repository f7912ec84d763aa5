import Foundation

/// A log table partitioned by range of a `timestamptz` column into UTC days. `maintain` makes
/// the partitions for today and `daysAhead` days on (so a write never meets a missing one), and
/// removes the partitions that end before the retention window whole: detached concurrently
/// (writers to the table are not blocked), then dropped. Rows are never deleted one by one.
/// Replicas may all run it: creation takes an advisory lock, and a detach or drop that another
/// replica won is logged by the caller and tried again next time.
public struct DailyPartitions: Sendable {
    /// The partitioned (parent) table; partitions are `<table>_pYYYYMMDD`.
    public let table: String
    public let retention: Duration
    public let daysAhead: Int

    public init(table: String, retention: Duration, daysAhead: Int = 3) {
        self.table = table
        self.retention = retention
        self.daysAhead = daysAhead
    }

    public struct Partition: Sendable, Equatable {
        public let name: String
        /// Rows in it are before this instant; nil for an open-ended partition.
        public let end: Date?
        let detachPending: Bool
    }

    /// The table's partitions, oldest end first.
    public func partitions(_ postgres: some PostgresQuerying) async throws -> [Partition] {
        let rows = try await postgres.query(
            """
            SELECT c.relname::text AS name, i.inhdetachpending AS pending,
                   extract(epoch FROM substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''([^'']+)''\\)')::timestamptz)::float8 AS ends
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = $1::regclass ORDER BY ends NULLS LAST, name
            """, table)
        return try rows.rows.map {
            Partition(
                name: try $0.decode(String.self, "name"), end: try $0.decode(Double?.self, "ends").map(Date.init(timeIntervalSince1970:)),
                detachPending: try $0.decode(Bool.self, "pending"))
        }
    }

    /// Creates the missing partitions up to `daysAhead` days after `now` and removes the
    /// expired ones; returns the names created and dropped.
    @discardableResult
    public func maintain(_ postgres: PostgresClient, now: Date) async throws -> (created: [String], dropped: [String]) {
        let created = try await createAhead(postgres, now: now)
        var dropped: [String] = []
        let cutoff = now.addingTimeInterval(-Double(retention.components.seconds))
        for partition in try await partitions(postgres) {
            guard let end = partition.end, end <= cutoff else { continue }
            // Not in a transaction: PostgreSQL refuses DETACH ... CONCURRENTLY inside one. A
            // detach interrupted half way is left pending; FINALIZE completes it.
            let detach = partition.detachPending ? "FINALIZE" : "CONCURRENTLY"
            try await postgres.executeStandalone("ALTER TABLE \(table) DETACH PARTITION \(partition.name) \(detach)")
            try await postgres.executeStandalone("DROP TABLE \(partition.name)")
            dropped.append(partition.name)
        }
        return (created, dropped)
    }

    private func createAhead(_ postgres: PostgresClient, now: Date) async throws -> [String] {
        let today = Self.utcMidnight(of: now)
        return try await postgres.transaction(work: .maintenance) { tx in
            try await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", "partitions of \(table)")
            // Days before the last existing end are covered already (an attached legacy table
            // may end days ahead).
            let covered = try await partitions(tx).compactMap(\.end).max() ?? today
            var created: [String] = []
            for day in 0...daysAhead {
                let start = today.addingTimeInterval(Double(day) * 86_400)
                guard start >= covered else { continue }
                let name = "\(table)_p\(Self.dayStamp(start))"
                try await tx.execute(
                    """
                    CREATE TABLE \(name) PARTITION OF \(table)
                    FOR VALUES FROM ('\(Self.timestamp(start))') TO ('\(Self.timestamp(start.addingTimeInterval(86_400)))')
                    """)
                created.append(name)
            }
            return created
        }
    }

    static func utcMidnight(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }

    /// `20261127` for a day starting at UTC midnight.
    static func dayStamp(_ day: Date) -> String {
        let parts = utcCalendar.dateComponents([.year, .month, .day], from: day)
        return String(format: "%04d%02d%02d", parts.year!, parts.month!, parts.day!)
    }

    /// `2026-11-27 00:00:00+00`, a literal PostgreSQL reads the same in any session time zone.
    static func timestamp(_ day: Date) -> String {
        let stamp = dayStamp(day)
        return "\(stamp.prefix(4))-\(stamp.dropFirst(4).prefix(2))-\(stamp.suffix(2)) 00:00:00+00"
    }

    private static let utcCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}

import FeatureKit
import Logging
import Postgres
import Redis
import SwitchyardCore
import Synchronization

/// The truth: sessions, counts and the event log, changed together per batch.
protocol AreaModeStore: Sendable {
    /// Applies a batch atomically: each event's outcome, in order, and the areas whose counts changed.
    func apply(_ events: [AreaEvent]) async throws -> (outcomes: [Outcome], changedAreas: Set<Int>)
    func stats(area: Int) async throws -> AreaStats
    func areas() async throws -> [AreaSummary]
}

/// PostgreSQL. A batch locks its users' session rows in user order, runs the session model in
/// Swift, then adds its count deltas and appends the event log in the same transaction.
/// Concurrent batches thus serialize per user and cannot lose an update; a deadlock or
/// serialization failure retries the whole batch.
///
/// A place's count is the sum of `countShards` rows, and each batch adds its deltas to one
/// shard, the next in turn: nearly every batch changes nearly every place, so with one row per
/// place concurrent batches queued behind each other's row locks until commit (and its WAL
/// flush), whatever users they held. A shard alone may go below zero; the sum never does.
///
/// The event log is partitioned by day (`DailyPartitions`); old days are dropped whole.
///
/// At most `ingestConcurrency` batches are in their transaction at once; the others wait in
/// arrival order, as long as a connection may be waited for (`postgres.acquire-timeout`, then
/// 503). More at once only contend for the same rows and cores: two at a time ingest 10,000-event
/// batches a third faster than ten did (BENCHMARKS).
struct PostgresAreaModeStore: AreaModeStore {
    let postgres: PostgresClient
    static let countShards = 8
    static let eventLog = "area_mode_events"
    private let nextShard = ShardTurns()
    private let ingestTurns: FIFOSemaphore

    init(postgres: PostgresClient, ingestConcurrency: Int) {
        self.postgres = postgres
        ingestTurns = FIFOSemaphore(permits: max(1, ingestConcurrency))
    }

    static let migrations = [
        Migration(
            version: 1, name: "sessions, counts and event log",
            sql: """
                CREATE TABLE area_mode_sessions (
                    user_id text PRIMARY KEY,
                    area_code integer,
                    multiplayer_mode text COLLATE "C",
                    CHECK ((area_code IS NULL) = (multiplayer_mode IS NULL))
                );
                CREATE TABLE area_mode_counts (
                    area_code integer NOT NULL,
                    multiplayer_mode text COLLATE "C" NOT NULL,
                    active integer NOT NULL CHECK (active >= 0),
                    PRIMARY KEY (area_code, multiplayer_mode)
                );
                CREATE TABLE area_mode_events (
                    id bigserial PRIMARY KEY,
                    received_at timestamptz NOT NULL DEFAULT now(),
                    area_code integer NOT NULL,
                    multiplayer_mode text NOT NULL,
                    user_id text NOT NULL,
                    event text NOT NULL,
                    outcome text NOT NULL
                );
                """),
        Migration(
            version: 2, name: "event log partitioned by day",
            sql: """
                ALTER TABLE area_mode_events RENAME TO area_mode_events_unpartitioned;
                CREATE TABLE area_mode_events (
                    id bigint NOT NULL DEFAULT nextval('area_mode_events_id_seq'),
                    received_at timestamptz NOT NULL DEFAULT now(),
                    area_code integer NOT NULL,
                    multiplayer_mode text NOT NULL,
                    user_id text NOT NULL,
                    event text NOT NULL,
                    outcome text NOT NULL
                ) PARTITION BY RANGE (received_at);
                -- So that dropping the old log one day leaves the id sequence in place.
                ALTER SEQUENCE area_mode_events_id_seq OWNED BY area_mode_events.id;
                -- The log so far becomes the partition that ends at the next UTC midnight.
                DO $$ BEGIN
                    EXECUTE format(
                        'ALTER TABLE area_mode_events ATTACH PARTITION area_mode_events_unpartitioned FOR VALUES FROM (MINVALUE) TO (%L)',
                        (date_trunc('day', now() AT TIME ZONE 'UTC') + interval '1 day') AT TIME ZONE 'UTC');
                END $$;
                """),
        Migration(
            version: 3, name: "count rows in shards",
            sql: """
                ALTER TABLE area_mode_counts ADD COLUMN shard smallint NOT NULL DEFAULT 0;
                ALTER TABLE area_mode_counts DROP CONSTRAINT area_mode_counts_pkey;
                ALTER TABLE area_mode_counts ADD PRIMARY KEY (area_code, multiplayer_mode, shard);
                ALTER TABLE area_mode_counts DROP CONSTRAINT area_mode_counts_active_check;
                """),
    ]

    func apply(_ events: [AreaEvent]) async throws -> (outcomes: [Outcome], changedAreas: Set<Int>) {
        guard !events.isEmpty else { return ([], []) }
        let users = Set(events.map { ByteKey($0.userID) }).sorted().map(\.text)
        let wait = postgres.configuration.acquireTimeout
        do {
            try await ingestTurns.acquire(within: wait)
        } catch is FIFOSemaphore.TimedOut {
            throw PostgresError.unavailable("no ingest turn free within \(wait)")
        }
        defer { ingestTurns.release() }
        return try await postgres.transaction(attempts: 5) { tx in
            try await tx.execute(
                "INSERT INTO area_mode_sessions (user_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
                PostgresArray(users))
            let rows = try await tx.query(
                """
                SELECT user_id, area_code, multiplayer_mode FROM area_mode_sessions
                WHERE user_id = ANY($1::text[]) ORDER BY user_id COLLATE "C" FOR UPDATE
                """, PostgresArray(users))
            var stored: [ByteKey: Place] = [:]
            for row in rows.rows {
                if let area = try row.decode(Int?.self, "area_code"), let mode = try row.decode(String?.self, "multiplayer_mode") {
                    stored[ByteKey(try row.decode(String.self, "user_id"))] = Place(area: area, mode: mode)
                }
            }
            let result = SessionModel.apply(events, sessions: stored)

            if !result.sessions.isEmpty {
                let changed = result.sessions.sorted { $0.key < $1.key }
                try await tx.execute(
                    """
                    UPDATE area_mode_sessions s SET area_code = v.area, multiplayer_mode = v.mode
                    FROM unnest($1::text[], $2::int[], $3::text[]) AS v(user_id, area, mode)
                    WHERE s.user_id = v.user_id
                    """,
                    PostgresArray(changed.map(\.key.text)), PostgresArray(changed.map { $0.value?.area }),
                    PostgresArray(changed.map { $0.value?.mode }))
            }
            if !result.deltas.isEmpty {
                // In place order, so two batches that meet on a shard cannot deadlock.
                let deltas = result.deltas.sorted { $0.key < $1.key }
                try await tx.execute(
                    """
                    INSERT INTO area_mode_counts (area_code, multiplayer_mode, shard, active)
                    SELECT area, mode, $4, delta FROM unnest($1::int[], $2::text[], $3::int[]) AS v(area, mode, delta)
                    ON CONFLICT (area_code, multiplayer_mode, shard) DO UPDATE SET active = area_mode_counts.active + excluded.active
                    """, PostgresArray(deltas.map { $0.key.area }), PostgresArray(deltas.map { $0.key.mode }),
                    PostgresArray(deltas.map(\.value)), nextShard.take(of: Self.countShards))
            }
            let log: [[any PostgresEncodable]] = zip(events, result.outcomes).map { event, outcome in
                [event.place.area, event.place.mode, event.userID, event.name.rawValue, outcome.rawValue]
            }
            try await tx.copyIn(
                "COPY area_mode_events (area_code, multiplayer_mode, user_id, event, outcome) FROM STDIN", rows: log)
            return (result.outcomes, Set(result.deltas.keys.map(\.area)))
        }
    }

    func stats(area: Int) async throws -> AreaStats {
        let rows = try await postgres.query(
            """
            SELECT multiplayer_mode, sum(active)::bigint AS active FROM area_mode_counts
            WHERE area_code = $1 GROUP BY multiplayer_mode HAVING sum(active) > 0 ORDER BY active DESC, multiplayer_mode
            """, area)
        return AreaStats(
            area: area,
            modes: try rows.rows.map { (try $0.decode(String.self, "multiplayer_mode"), try $0.decode(Int.self, "active")) })
    }

    func areas() async throws -> [AreaSummary] {
        let rows = try await postgres.query(
            """
            SELECT area_code,
                   (array_agg(multiplayer_mode ORDER BY active DESC, multiplayer_mode))[1] AS most_played,
                   sum(active)::bigint AS active_users
            FROM (
                SELECT area_code, multiplayer_mode, sum(active) AS active FROM area_mode_counts
                GROUP BY area_code, multiplayer_mode HAVING sum(active) > 0
            ) AS places
            GROUP BY area_code ORDER BY area_code
            """)
        return try rows.rows.map {
            AreaSummary(
                area: try $0.decode(Int.self, "area_code"), mostPlayed: try $0.decode(String.self, "most_played"),
                activeUsers: try $0.decode(Int.self, "active_users"))
        }
    }
}

/// Hands out count shards round robin, so batches running at the same time take different ones.
final class ShardTurns: Sendable {
    private let next = Atomic<Int>(0)

    func take(of count: Int) -> Int {
        next.wrappingAdd(1, ordering: .relaxed).oldValue % count
    }
}

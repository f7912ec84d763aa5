import FeatureKit
import Foundation
import Postgres
import Redis
import SwitchyardCore

/// user-points' storage: the generations in PostgreSQL and the chain of query times with the
/// published generation in Redis. One store, not two, because they are one unit of consistency:
/// a refresh is complete only once committed in PostgreSQL and published in Redis, and a query's
/// handover tells which generation it must read.
protocol UserPointsStore: Sendable {
    /// Creates the users and generation 0 (every user at 0 points) on an empty database.
    func seed(users: Int, minNumber: Int) async throws
    func query() async throws -> PointsQuery
    func state() async throws -> PointsState
    /// Re-rolls every user's points and `min_number` together. With `slot`, only if no refresh
    /// has recorded that interval slot yet (the scheduled tick); without, unconditionally.
    func refresh(minNumber: Int, slot: Int64?) async throws -> RefreshOutcome
    /// Hands the previous query's time over atomically, across replicas, to `queries` queries:
    /// records them at `now`, `now + 1`, ... (made strictly later than the previous one, so no
    /// two queries share a predecessor) and returns the previous one, the first recorded time
    /// and the newest published generation.
    func handOver(nowMicroseconds: Int64, queries: Int) async throws -> Handover
    /// Publishes a generation unless a newer one already is, or, with `replacing`, if the
    /// published one is still that one (a generation this database never had).
    func publish(generation: Int, replacing: Int?) async throws
}

/// The points in PostgreSQL, the query handover and the published generation in Redis.
///
/// PostgreSQL has one table per generation, the points packed: a row per `usersPerRow` users,
/// `(first_id, points bytea)`, byte i the points of user `first_id + i` (users are 1...users,
/// as seeded). A refresh draws the points here and inserts them into a new table (10 MB for 10
/// million users, logged: a crash, a standby and a promotion keep it), then in the same
/// transaction points the `user_points_current` view (`id, points`, unpacked) at it and records
/// the new `min_number`. Readers read the state row and the view in one statement, so they see
/// one generation, and they only wait for the view swap at commit, not for the fill. Tables
/// older than the current one are dropped afterwards, so nothing bloats.
struct PostgresRedisUserPointsStore: UserPointsStore {
    let postgres: PostgresClient
    let redis: RedisClient
    /// Seeds each refresh's draw of every user's points.
    let random: RandomSource
    /// Redis key of the last query time, in microseconds.
    let timestampKey: String
    /// Redis key of the newest committed generation, published after every refresh.
    let generationKey: String

    static let handoverScript = """
        local previous = redis.call('GET', KEYS[1])
        local first = tonumber(ARGV[1])
        if previous and tonumber(previous) >= first then first = tonumber(previous) + 1 end
        redis.call('SET', KEYS[1], string.format('%d', first + tonumber(ARGV[2]) - 1))
        return {previous or false, string.format('%d', first), redis.call('GET', KEYS[2]) or false}
        """

    static let publishScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
        if tonumber(ARGV[1]) > current or current == tonumber(ARGV[2]) then redis.call('SET', KEYS[1], ARGV[1]) end
        return 0
        """

    func handOver(nowMicroseconds: Int64, queries: Int) async throws -> Handover {
        let reply = try await redis.evalScript(
            Self.handoverScript, keys: [timestampKey, generationKey], arguments: [nowMicroseconds, queries], .replicated)
        guard let parts = reply.array, parts.count == 3, let recorded = parts[1].int else {
            throw RedisError.unexpectedReply("the handover script returned \(reply)")
        }
        return Handover(
            previousMicroseconds: parts[0].int, recordedMicroseconds: recorded, publishedGeneration: parts[2].int.map(Int.init))
    }

    func publish(generation: Int, replacing: Int?) async throws {
        // -2: replaces nothing (a missing key reads as -1).
        try await redis.evalScript(Self.publishScript, keys: [generationKey], arguments: [generation, replacing ?? -2], .replicated)
    }

    /// Serializes refreshes and seeding across replicas.
    static let lockKey = "switchyard-user-points"

    static let migrations = [
        Migration(
            version: 1, name: "users and refresh state",
            sql: """
                CREATE TABLE users (
                    id integer PRIMARY KEY,
                    inserted_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE TABLE user_points_state (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    generation integer NOT NULL,
                    min_number integer NOT NULL CHECK (min_number BETWEEN 0 AND 100),
                    refreshed_at timestamptz,
                    users integer NOT NULL,
                    last_refresh_ms integer,
                    slot bigint
                );
                """)
    ]

    func seed(users: Int, minNumber: Int) async throws {
        try await seed(users: users, minNumber: minNumber, chunk: 1_000_000)
    }

    /// Inserts users 1...users in statements of at most `chunk` rows: each statement must end
    /// within `postgres.query-timeout`, and 10 million rows in one did not.
    func seed(users: Int, minNumber: Int, chunk: Int) async throws {
        try await postgres.transaction(work: .maintenance) { tx in
            try await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", Self.lockKey)
            guard try await tx.query("SELECT 1 FROM user_points_state").rows.isEmpty else { return }
            for first in stride(from: 1, through: users, by: chunk) {
                try await tx.execute(
                    "INSERT INTO users (id) SELECT generate_series($1::int, $2::int)", first, min(first + chunk - 1, users))
            }
            try await tx.executeScript(
                """
                CREATE TABLE user_points_g0 AS
                    SELECT first_id, decode(repeat('00', least(\(Self.usersPerRow), \(users) - first_id + 1)), 'hex') AS points
                    FROM generate_series(1, \(users), \(Self.usersPerRow)) AS first_id;
                CREATE VIEW user_points_current AS \(Self.unpacked(generation: 0));
                """)
            try await tx.execute(
                "INSERT INTO user_points_state (generation, min_number, users) VALUES (0, $1, $2)", minNumber, users)
        }
    }

    func query() async throws -> PointsQuery {
        // One statement: the state row and the points come from one snapshot. With
        // min_number 100 nobody qualifies and the scan is skipped altogether.
        let rows = try await postgres.query(
            """
            SELECT s.generation, s.min_number, p.id, p.points FROM user_points_state s
            LEFT JOIN LATERAL (
                SELECT id, points FROM user_points_current
                WHERE s.min_number < 100 AND points > s.min_number LIMIT 2
            ) p ON true
            """)
        guard let first = rows.first else { throw APIError(.serviceUnavailable, code: "NOT_SEEDED", message: "Users are not seeded yet.") }
        return PointsQuery(
            generation: try first.decode(Int.self, "generation"), minNumber: try first.decode(Int.self, "min_number"),
            users: try rows.rows.compactMap { row in
                guard let id = try row.decode(Int?.self, "id") else { return nil }
                return (id, try row.decode(Int.self, "points"))
            })
    }

    func state() async throws -> PointsState {
        guard let row = try await postgres.query("SELECT * FROM user_points_state").first else {
            throw APIError(.serviceUnavailable, code: "NOT_SEEDED", message: "Users are not seeded yet.")
        }
        return try Self.state(row)
    }

    func refresh(minNumber: Int, slot: Int64?) async throws -> RefreshOutcome {
        let start = ContinuousClock.now
        let outcome: RefreshOutcome = try await postgres.transaction { tx in
            guard
                try await tx.query("SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked", Self.lockKey)
                    .first!.decode(Bool.self, "locked")
            else { return .alreadyRunning }
            guard let current = try await tx.query("SELECT generation, slot, users FROM user_points_state FOR UPDATE").first else {
                throw APIError(.serviceUnavailable, code: "NOT_SEEDED", message: "Users are not seeded yet.")
            }
            if let slot, try current.decode(Int64?.self, "slot") == slot { return .alreadyDone }
            let next = try current.decode(Int.self, "generation") + 1
            // Table names come from our own integers, never from input.
            try await tx.executeScript("CREATE TABLE user_points_g\(next) (first_id integer NOT NULL, points bytea NOT NULL)")
            // Drawn and sent `usersPerInsert` at a time, as one binary parameter that PostgreSQL
            // cuts into rows: no text encoding on either side, and never 10 million in memory.
            var generator = SplitMix64(seed: random.next())
            let users = try current.decode(Int.self, "users")
            for first in stride(from: 1, through: users, by: Self.usersPerInsert) {
                try await tx.execute(
                    """
                    INSERT INTO user_points_g\(next) (first_id, points)
                    SELECT $1::int + o, substring($2::bytea FROM o + 1 FOR \(Self.usersPerRow))
                    FROM generate_series(0, length($2::bytea) - 1, \(Self.usersPerRow)) AS o
                    """, first, Self.drawPoints(count: min(Self.usersPerInsert, users - first + 1), using: &generator))
            }
            try await tx.executeScript("CREATE OR REPLACE VIEW user_points_current AS \(Self.unpacked(generation: next))")
            let elapsed = Int((ContinuousClock.now - start) / .milliseconds(1))
            let row = try await tx.query(
                """
                UPDATE user_points_state SET generation = $1, min_number = $2, refreshed_at = now(),
                    last_refresh_ms = $3, slot = coalesce($4, slot)
                RETURNING *
                """, next, minNumber, elapsed, slot)
            return .refreshed(try Self.state(row.first!))
        }
        if case .refreshed(let state) = outcome { try await dropGenerations(before: state.generation) }
        return outcome
    }

    static let usersPerRow = 1_000
    static let usersPerInsert = 100_000

    /// `count` points, uniform in 0...100: a random byte under 202 gives one (202 = 2 × 101, so
    /// every value has two bytes that give it); a byte of 202 or more is drawn again.
    static func drawPoints(count: Int, using generator: inout SplitMix64) -> [UInt8] {
        var points: [UInt8] = []
        points.reserveCapacity(count)
        while points.count < count {
            var word = generator.next()
            for _ in 0..<8 where points.count < count {
                let byte = UInt8(truncatingIfNeeded: word)
                word >>= 8
                if byte < 202 { points.append(byte % 101) }
            }
        }
        return points
    }

    /// A generation's points, one row per user; reading stops once a LIMIT is met.
    static func unpacked(generation: Int) -> String {
        """
        SELECT p.first_id + i AS id, get_byte(p.points, i)::smallint AS points
        FROM user_points_g\(generation) p, generate_series(0, length(p.points) - 1) AS i
        """
    }

    /// Old generation tables, including any a crashed refresh left half-built.
    private func dropGenerations(before generation: Int) async throws {
        let old = try await postgres.query(
            """
            SELECT tablename FROM pg_tables
            WHERE schemaname = current_schema() AND tablename ~ '^user_points_g[0-9]+$'
              AND substring(tablename FROM 14)::int < $1
            """, generation)
        for row in old.rows {
            let table = try row.decode(String.self, "tablename")
            try await postgres.transaction(work: .maintenance) { try await $0.executeScript("DROP TABLE IF EXISTS \(table)") }
        }
    }

    private static func state(_ row: PostgresRow) throws -> PointsState {
        PointsState(
            generation: try row.decode(Int.self, "generation"), minNumber: try row.decode(Int.self, "min_number"),
            refreshedAt: try row.decode(Date?.self, "refreshed_at"), users: try row.decode(Int.self, "users"),
            lastRefreshMilliseconds: try row.decode(Int?.self, "last_refresh_ms"))
    }
}

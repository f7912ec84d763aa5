import FeatureKit
import Foundation
import Metrics
import Synchronization

/// The rules of user-points: the query with its predecessor's timestamp, refreshes on demand
/// and on schedule.
struct UserPointsService: Sendable {
    let store: any UserPointsStore
    let redis: RedisClient
    let timestampKey: String
    /// Redis key of the newest committed generation, published after every refresh.
    let generationKey: String
    /// The answer of the newest generation seen: it holds for every query of that generation.
    let answers = GenerationAnswers()
    let clock: WallClock
    let random: RandomSource
    let interval: Int
    let queries: Counter
    let refreshDuration: Metrics.Timer
    let skippedRefreshes: Counter

    /// Hands the previous query's time over atomically, across replicas: Redis keeps the last
    /// query time in microseconds; each query swaps in its own (made strictly later than the
    /// previous one, so no two queries share a predecessor) and gets the old one back, together
    /// with the newest published generation.
    static let handoverScript = """
        local previous = redis.call('GET', KEYS[1])
        local now = tonumber(ARGV[1])
        if previous and tonumber(previous) >= now then now = tonumber(previous) + 1 end
        redis.call('SET', KEYS[1], string.format('%d', now))
        return {previous or false, redis.call('GET', KEYS[2]) or false}
        """

    /// Publishes a generation unless a newer one already is.
    static let publishScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
        if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
        return 0
        """

    /// One round trip when the generation's answer is known: the handover tells the current
    /// generation. PostgreSQL is read when it is not (first query of a generation, another
    /// replica's refresh, or a generation never published), and that read is one consistent
    /// statement whose generation is then published.
    func query() async throws -> JSONValue {
        let now = Int64((clock.now().timeIntervalSince1970 * 1_000_000).rounded(.down))
        let reply = try await redis.evalScript(Self.handoverScript, keys: [timestampKey, generationKey], arguments: [now])
        let parts = reply.array ?? []
        let previous = parts.first?.int
        let published = parts.count > 1 ? parts[1].int.map(Int.init) : nil
        let users: [(id: Int, points: Int)]
        if let published, let known = answers.users(for: published) {
            users = known
        } else {
            let result = try await store.query()
            answers.remember(result)
            if published.map({ result.generation > $0 }) ?? true { try await publish(result.generation) }
            users = result.users
        }
        queries.increment()
        return [
            "users": .array(users.map { ["id": .int(Int64($0.id)), "points": .int(Int64($0.points))] }),
            "timestamp": previous.map { .string(iso8601(microseconds: $0)) } ?? .null,
        ]
    }

    private func publish(_ generation: Int) async throws {
        try await redis.evalScript(Self.publishScript, keys: [generationKey], arguments: [generation])
    }

    func state() async throws -> JSONValue {
        json(try await store.state())
    }

    /// `POST /refresh`: refreshes now; 409 while another refresh runs.
    func refreshNow() async throws -> JSONValue {
        switch try await timedRefresh(slot: nil) {
        case .refreshed(let state): return json(state)
        case .alreadyRunning, .alreadyDone:
            throw APIError(.conflict, code: "REFRESH_RUNNING", message: "A refresh is already running.")
        }
    }

    /// The scheduled tick for interval `slot`: at most one refresh per slot across replicas.
    func scheduledRefresh(slot: Int64) async throws {
        if try await timedRefresh(slot: slot) == .alreadyRunning {
            skippedRefreshes.increment()
        }
    }

    /// A refresh is complete once its generation is published: queries that start later see it.
    private func timedRefresh(slot: Int64?) async throws -> RefreshOutcome {
        let start = ContinuousClock.now
        let outcome = try await store.refresh(minNumber: random.int(in: 0...100), slot: slot)
        if case .refreshed(let state) = outcome {
            try await publish(state.generation)
            refreshDuration.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
        }
        return outcome
    }

    /// Interval slots are wall-clock aligned, so every replica's tick falls on the same boundary.
    func nextSlot(after date: Date) -> (slot: Int64, at: Date) {
        let slot = Int64((date.timeIntervalSince1970 / Double(interval)).rounded(.down)) + 1
        return (slot, Date(timeIntervalSince1970: Double(slot) * Double(interval)))
    }

    private func json(_ state: PointsState) -> JSONValue {
        [
            "min_number": .int(Int64(state.minNumber)),
            "generation": .int(Int64(state.generation)),
            "users": .int(Int64(state.users)),
            "refreshed_at": state.refreshedAt.map { .string(iso8601($0)) } ?? .null,
            "last_refresh_ms": state.lastRefreshMilliseconds.map { .int(Int64($0)) } ?? .null,
            "next_refresh_at": .string(iso8601(nextSlot(after: clock.now()).at)),
        ]
    }
}

/// The newest generation's two users, kept in memory.
final class GenerationAnswers: Sendable {
    private let newest = Mutex<PointsQuery?>(nil)

    func users(for generation: Int) -> [(id: Int, points: Int)]? {
        newest.withLock { $0?.generation == generation ? $0?.users : nil }
    }

    func remember(_ answer: PointsQuery) {
        newest.withLock { newest in
            if (newest?.generation ?? -1) <= answer.generation { newest = answer }
        }
    }
}

import FeatureKit
import Redis

/// Where the counts live.
protocol PathStatsStore: Sendable {
    /// Adds `times` hits at once and returns the path's new total.
    func hit(_ path: String, times: Int) async throws -> Int64
    func count(of path: String) async throws -> Int64
    /// Counts of several paths in one round trip, in the order given.
    func counts(of paths: [String]) async throws -> [Int64]
    /// Ranks `offset ..< offset + limit`: most hits first, ties by path in byte order.
    func ranking(offset: Int, limit: Int) async throws -> [PathCount]
    /// The number of distinct paths and the ranks `offset ..< offset + limit` (one round trip
    /// where the store allows it).
    func totalAndRanking(offset: Int, limit: Int) async throws -> RankingPage
}

/// A page of the ranking, and where the store needs one, the cursor that reads on after it.
struct RankingPage: Sendable {
    let total: Int64
    let ranking: [PathCount]
    /// Nil where reading on by offset is exact and cheap (one sorted set), so that concurrent
    /// streams can share their reads of the same offsets.
    var rest: (any RankingCursor)? = nil
}

/// Reads the ranking onwards from where it stands, for one stream.
protocol RankingCursor: Sendable {
    mutating func next(_ limit: Int) async throws -> [PathCount]
}

/// One Redis sorted set scored with negated counts: ascending order is then count descending,
/// and Redis orders equal scores by member bytes, which is exactly the tie order wanted.
struct RedisPathStatsStore: PathStatsStore {
    let redis: RedisClient
    let key: String

    func hit(_ path: String, times: Int) async throws -> Int64 {
        try Self.count(fromScore: try await redis.zincrby(key, -Double(times), path))
    }

    func count(of path: String) async throws -> Int64 {
        try Self.count(fromScore: try await redis.zscore(key, path) ?? 0)
    }

    func counts(of paths: [String]) async throws -> [Int64] {
        let replies = try await redis.pipeline(paths.map { RedisCommand("ZSCORE", key, $0) }).throwingErrors()
        return try replies.map { try Self.count(fromScore: $0.double ?? 0) }
    }

    func ranking(offset: Int, limit: Int) async throws -> [PathCount] {
        guard limit > 0 else { return [] }
        return try await redis.zrangeWithScores(key, start: offset, stop: offset + limit - 1).map(Self.pathCount)
    }

    /// Scores are negated counts, so that rank 0 is the most hit.
    static func pathCount(_ pair: (member: ArraySlice<UInt8>, score: Double)) throws -> PathCount {
        PathCount(path: String(decoding: pair.member, as: UTF8.self), count: try count(fromScore: pair.score))
    }

    /// The count a score stands for. A score the product never wrote (infinite, NaN, a fraction,
    /// beyond Int64: the set was changed by hand) is a clear 503, not a trap.
    static func count(fromScore score: Double) throws -> Int64 {
        guard let count = Int64(exactly: -score) else {
            throw RedisError.unexpectedReply("a path's score \(score) is not a negated count")
        }
        return count
    }

    func totalAndRanking(offset: Int, limit: Int) async throws -> RankingPage {
        let replies = try await redis.pipeline([
            RedisCommand("ZCARD", key),
            RedisCommand("ZRANGE", key, offset, offset + max(limit, 1) - 1, "WITHSCORES"),
        ]).throwingErrors()
        guard case .integer(let total) = replies[0], let pairs = replies[1].membersWithScores else {
            throw RedisError.unexpectedReply("ZCARD/ZRANGE: \(replies)")
        }
        return RankingPage(total: total, ranking: limit > 0 ? try pairs.map(Self.pathCount) : [])
    }
}

import Redis

/// The counts in `keys.count` sorted sets (on different cluster slots, so on different masters
/// where there are several), scored as `RedisPathStatsStore`'s one set. A path's shard is a hash
/// of its bytes: a hit stays one command, on one shard.
struct ShardedPathStatsStore: PathStatsStore, RankingShards {
    let redis: RedisClient
    let keys: [String]

    /// `<key>:shard:<i>/<n>`: the count of shards is in the name, so sets written under
    /// another count are never read as this layout's.
    init(redis: RedisClient, key: String, shards: Int) {
        self.redis = redis
        keys = (0..<shards).map { "\(key):shard:\($0)/\(shards)" }
    }

    var count: Int { keys.count }

    func key(of path: String) -> String { keys[Self.shard(of: path, among: keys.count)] }

    /// FNV-1a of the path's bytes: the same shard in every process and release.
    static func shard(of path: String, among shards: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(shards))
    }

    func hit(_ path: String, times: Int) async throws -> Int64 {
        try RedisPathStatsStore.count(fromScore: try await redis.zincrby(key(of: path), -Double(times), path))
    }

    func count(of path: String) async throws -> Int64 {
        try RedisPathStatsStore.count(fromScore: try await redis.zscore(key(of: path), path) ?? 0)
    }

    func counts(of paths: [String]) async throws -> [Int64] {
        let replies = try await redis.pipeline(paths.map { RedisCommand("ZSCORE", key(of: $0), $0) }).throwingErrors()
        return try replies.map { try RedisPathStatsStore.count(fromScore: $0.double ?? 0) }
    }

    func ranking(offset: Int, limit: Int) async throws -> [PathCount] {
        try await totalAndRanking(offset: offset, limit: limit).ranking
    }

    func totalAndRanking(offset: Int, limit: Int) async throws -> RankingPage {
        let page = try await ShardedRanking(shards: self).totalAndRanking(offset: offset, limit: limit)
        return RankingPage(total: page.total, ranking: page.ranking, rest: page.rest)
    }

    // MARK: RankingShards

    func sizes(alongWith ranges: [ShardRange]) async throws -> (sizes: [Int], ranges: [[PathCount]]) {
        let replies = try await redis.pipeline(keys.map { RedisCommand("ZCARD", $0) } + ranges.map(command)).throwingErrors()
        let sizes = try replies.prefix(keys.count).map { reply in
            guard case .integer(let size) = reply else { throw RedisError.unexpectedReply("ZCARD: \(reply)") }
            return Int(size)
        }
        return (sizes, try replies.dropFirst(keys.count).map(Self.rows))
    }

    func ranges(_ ranges: [ShardRange]) async throws -> [[PathCount]] {
        try await redis.pipeline(ranges.map(command)).throwingErrors().map(Self.rows)
    }

    func ranks(before row: PathCount, in shards: [Int]) async throws -> [Int] {
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (index, shard) in shards.enumerated() {
                group.addTask {
                    let reply = try await redis.evalScript(Self.rankScript, keys: [keys[shard]], arguments: [-row.count, row.path])
                    guard case .integer(let rank) = reply else { throw RedisError.unexpectedReply("rank script: \(reply)") }
                    return (index, Int(rank))
                }
            }
            var ranks = Array(repeating: 0, count: shards.count)
            for try await (index, rank) in group { ranks[index] = rank }
            return ranks
        }
    }

    private func command(_ range: ShardRange) -> RedisCommand {
        RedisCommand("ZRANGE", keys[range.shard], range.start, range.start + range.count - 1, "WITHSCORES")
    }

    private static func rows(_ reply: RedisReply) throws -> [PathCount] {
        guard let pairs = reply.membersWithScores else { throw RedisError.unexpectedReply("ZRANGE: \(reply)") }
        return try pairs.map(RedisPathStatsStore.pathCount)
    }

    /// The number of members ordered before (score ARGV[1], member ARGV[2]): those of lower score,
    /// then a binary search by rank among the equal scores. Members compare byte by byte, as the
    /// sorted set orders them (Lua's `<` on strings follows the server's locale).
    static let rankScript = """
        local key, score, member = KEYS[1], ARGV[1], ARGV[2]
        local function before(a, b)
          for i = 1, math.min(#a, #b) do
            local x, y = string.byte(a, i), string.byte(b, i)
            if x ~= y then return x < y end
          end
          return #a < #b
        end
        local low = redis.call('ZCOUNT', key, '-inf', '(' .. score)
        local high = low + redis.call('ZCOUNT', key, score, score)
        while low < high do
          local middle = math.floor((low + high) / 2)
          if before(redis.call('ZRANGE', key, middle, middle)[1], member) then low = middle + 1 else high = middle end
        end
        return low
        """
}

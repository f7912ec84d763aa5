import FeatureKit
import Logging
import Redis
import SwitchyardJSON

/// Where computed levels and the upstream user list are kept for a while, so a warm answer
/// needs no upstream call. A cache only saves work: a read that fails is a miss, a write that
/// fails is dropped (and logged), and the answer is computed upstream, never refused.
protocol LevelCache: Sendable {
    func users() async -> [UpstreamUser]?
    func store(users: [UpstreamUser]) async
    func levels(of ids: [Int64]) async -> [Int64: UserLevel]
    func store(levels: [UserLevel]) async
}

/// The cache in Redis, each entry for `ttl` seconds.
struct RedisLevelCache: LevelCache {
    let redis: RedisClient
    let keyPrefix: String
    let ttl: Int
    let logger: Logger

    private var usersKey: String { keyPrefix + ":users" }
    /// Level keys fall in 64 hash tags by id, so on a Redis Cluster a read of many levels is
    /// at most 64 MGETs spread over the masters rather than one GET a user.
    private func levelKey(_ id: Int64) -> String { "{\(keyPrefix):\(id & 63)}:level:\(id)" }

    func users() async -> [UpstreamUser]? {
        guard let bytes = await attempt("read the user list", { try await redis.get(usersKey) }) ?? nil,
            let list = (try? JSONValue(parsing: bytes))?.arrayValue
        else { return nil }
        let users = list.compactMap(UpstreamUser.init)
        return users.count == list.count ? users : nil
    }

    func store(users: [UpstreamUser]) async {
        let document = JSONValue.array(users.map(\.upstream)).encoded()
        _ = await attempt("store the user list") { try await redis.set(usersKey, document, expireSeconds: ttl) }
    }

    /// One MGET on one Redis; on a cluster one per hash slot, concurrently, where a group that
    /// cannot be read (its master down) is misses, not an error.
    func levels(of ids: [Int64]) async -> [Int64: UserLevel] {
        let groups = Dictionary(grouping: ids) { redis.isCluster ? ClusterSlot.of(levelKey($0)) : 0 }
        return await withTaskGroup(of: [Int64: UserLevel].self) { group in
            for ids in groups.values {
                group.addTask { await levels(read: ids) }
            }
            return await group.reduce(into: [:]) { found, levels in found.merge(levels) { first, _ in first } }
        }
    }

    private func levels(read ids: [Int64]) async -> [Int64: UserLevel] {
        guard let replies = await attempt("read levels", { try await redis.send(RedisCommand("MGET", ids.map(levelKey))) })?.array
        else { return [:] }
        var found: [Int64: UserLevel] = [:]
        for (id, reply) in zip(ids, replies) {
            if let bytes = reply.bytes, let value = try? JSONValue(parsing: bytes), let level = UserLevel(value),
                level.user.id == id
            {
                found[id] = level
            }
        }
        return found
    }

    func store(levels: [UserLevel]) async {
        guard !levels.isEmpty else { return }
        let commands = levels.map { RedisCommand("SET", levelKey($0.user.id), $0.fullJSON.encoded(), "EX", ttl) }
        _ = await attempt("store levels") { try await redis.pipeline(commands).throwingErrors() }
    }

    private func attempt<T: Sendable>(_ what: String, _ body: () async throws -> T) async -> T? {
        do {
            return try await body()
        } catch {
            logger.warning("achievement-level cache: could not \(what): \(error)")
            return nil
        }
    }
}

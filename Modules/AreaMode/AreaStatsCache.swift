import FeatureKit
import Logging
import Redis

/// Per-area stats bodies kept ready, correct after every commit without relying on expiry:
/// each area has a version that writers bump after committing, and a cached entry counts only
/// if it was computed under the current version. A reader racing a writer may cache an old
/// answer, but under a version nobody will ask for again. A cache only saves work: a lookup
/// that fails is nil (read PostgreSQL), a store or invalidation that fails is logged.
protocol AreaStatsCache: Sendable {
    /// The area's current version and its body if one was cached under it; nil when off or failing.
    func lookup(area: Int) async -> AreaStatsLookup?
    func store(area: Int, version: String, body: String) async
    func invalidate(areas: Set<Int>) async
}

struct AreaStatsLookup: Sendable {
    let version: String
    let body: String?
}

/// The cache in Redis: a version counter and an entry per area.
struct RedisAreaStatsCache: AreaStatsCache {
    let redis: RedisClient
    /// Seconds an entry lives at most; 0 turns the cache off.
    let ttl: Int
    /// Start of every key, so several deployments (or tests) can share one Redis.
    let keyPrefix: String
    /// Which API profile's bodies the entries hold: replicas of either profile share the
    /// versions (so every ingest invalidates both) but never read each other's bodies.
    let profile: APIProfile
    /// How long a write's answer waits for its version bumps to land (`invalidate`).
    let invalidateTimeout: Duration
    let logger: Logger

    func lookup(area: Int) async -> AreaStatsLookup? {
        guard ttl > 0 else { return nil }
        do {
            // The version and the entry in one round trip.
            let reply = try await redis.send("MGET", versionKey(area), entryKey(area))
            guard let parts = reply.array, parts.count == 2 else { return nil }
            let version = parts[0].string ?? "0"
            let prefix = version + "\n"
            let body = parts[1].string.flatMap { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : nil }
            return AreaStatsLookup(version: version, body: body)
        } catch {
            // The cache is an optimisation: without Redis, answers come from PostgreSQL.
            logger.debug("area stats cache unavailable", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func store(area: Int, version: String, body: String) async {
        _ = try? await redis.set(entryKey(area), version + "\n" + body, expireSeconds: ttl)
    }

    /// Bumps the areas' versions before the write's answer: until then an entry cached before
    /// the write is still current. A bump that fails, or that the replicas `redis.wait-replicas`
    /// asks for do not confirm (a failover would undo it: the promoted replica would serve the
    /// old entry under its old version), is sent again, pausing 50 ms and doubling, until it
    /// is confirmed or `invalidateTimeout` has passed. The write itself is committed either way,
    /// and its answer says so.
    func invalidate(areas: Set<Int>) async {
        guard ttl > 0, !areas.isEmpty else { return }
        let bumps = areas.sorted().map { RedisCommand("INCR", versionKey($0)) }
        let deadline = ContinuousClock.now + invalidateTimeout
        var pause = Duration.milliseconds(50)
        while true {
            do {
                _ = try await redis.pipeline(bumps, .replicated).throwingErrors()
                return
            } catch {
                guard ContinuousClock.now + pause < deadline, (try? await Task.sleep(for: pause)) != nil else {
                    logger.warning("area stats cache not invalidated", metadata: ["error": "\(error)", "areas": "\(areas.sorted())"])
                    return
                }
                pause = min(pause * 2, .milliseconds(800))
            }
        }
    }

    /// An area's version and cached entries share the hash tag `{<prefix>:<area>}`, so the
    /// read of both is one MGET on a Redis Cluster too, and areas spread over its masters.
    private func versionKey(_ area: Int) -> String { "{\(keyPrefix):\(area)}:version" }
    private func entryKey(_ area: Int) -> String {
        profile == .original ? "{\(keyPrefix):\(area)}:original-stats" : "{\(keyPrefix):\(area)}:stats"
    }
}

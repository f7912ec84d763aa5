import FeatureKit
import Logging

/// Per-area stats cached in Redis, correct after every commit without relying on the TTL:
/// each area has a version that writers bump after committing, and a cached entry counts only
/// if it was computed under the current version. A reader racing a writer may cache an old
/// answer, but under a version nobody will ask for again.
struct AreaStatsCache: Sendable {
    let redis: RedisClient
    /// Seconds an entry lives at most; 0 turns the cache off.
    let ttl: Int
    /// Start of every key, so several deployments (or tests) can share one Redis.
    let keyPrefix: String
    let logger: Logger

    struct Lookup {
        let version: String
        let body: String?
    }

    func lookup(area: Int) async -> Lookup? {
        guard ttl > 0 else { return nil }
        do {
            // The version and the entry in one round trip.
            let reply = try await redis.send("MGET", versionKey(area), entryKey(area))
            guard let parts = reply.array, parts.count == 2 else { return nil }
            let version = parts[0].string ?? "0"
            let prefix = version + "\n"
            let body = parts[1].string.flatMap { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : nil }
            return Lookup(version: version, body: body)
        } catch {
            // The cache is an optimisation: without Redis, answers come from PostgreSQL.
            logger.debug("area stats cache unavailable", metadata: ["error": "\(error)"])
            return nil
        }
    }

    func store(area: Int, version: String, body: String) async {
        try? await redis.set(entryKey(area), version + "\n" + body, expireSeconds: ttl)
    }

    /// Called after a commit, before the request returns: later readers see a new version.
    func invalidate(areas: Set<Int>) async {
        guard ttl > 0, !areas.isEmpty else { return }
        do {
            _ = try await redis.pipeline(areas.sorted().map { RedisCommand("INCR", versionKey($0)) })
        } catch {
            logger.warning("area stats cache not invalidated", metadata: ["error": "\(error)", "areas": "\(areas.sorted())"])
        }
    }

    private func versionKey(_ area: Int) -> String { "\(keyPrefix):version:\(area)" }
    private func entryKey(_ area: Int) -> String { "\(keyPrefix):stats:\(area)" }
}

import Synchronization

@testable import AchievementLevel

/// The cache contract in memory, with no expiry: what was stored stays.
final class MemoryLevelCache: LevelCache {
    private let contents = Mutex<(users: [UpstreamUser]?, levels: [Int64: UserLevel])>((nil, [:]))

    func users() async -> [UpstreamUser]? { contents.withLock { $0.users } }

    func store(users: [UpstreamUser]) async { contents.withLock { $0.users = users } }

    func levels(of ids: [Int64]) async -> [Int64: UserLevel] {
        contents.withLock { contents in
            ids.reduce(into: [:]) { found, id in found[id] = contents.levels[id] }
        }
    }

    func store(levels: [UserLevel]) async {
        contents.withLock { contents in
            for level in levels { contents.levels[level.user.id] = level }
        }
    }
}

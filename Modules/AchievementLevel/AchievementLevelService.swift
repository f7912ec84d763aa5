import FeatureKit
import Metrics
import SwitchyardCore
import SwitchyardJSON

/// Levels of upstream users: the user list, then every library and every game's progress
/// concurrently (under the feature's cap), with computed levels cached when a cache is set.
struct AchievementLevelService: Sendable {
    let api: UsersAPI
    let cache: (any LevelCache)?
    /// The whole list is computed once for all concurrent callers (filters apply after).
    let listRuns = SharedRuns<[UserLevel]>()
    let userRuns = SharedRuns<UserLevel>()

    /// What computing one user gave.
    private enum Outcome: Sendable {
        case level(UserLevel)
        /// 404 somewhere mid-computation: the user is left out.
        case vanished
        case failed(JSONValue)
    }

    /// Every user's level in upstream order, optionally only those at `filter`. A user who
    /// vanished upstream mid-computation is left out, or with `strict` (the original's way)
    /// fails the whole list with 404.
    func levels(filter: Level?, strict: Bool = false) async throws -> [UserLevel] {
        let all = try await listRuns.value(for: strict ? "strict" : "all") { [self] in try await allLevels(strict: strict) }
        return all.filter { filter == nil || $0.level == filter }
    }

    private func allLevels(strict: Bool) async throws -> [UserLevel] {
        let users = try await userList()
        let cached = await cache?.levels(of: users.map(\.id)) ?? [:]
        let outcomes = await withTaskGroup(of: (Int64, Outcome).self) { group in
            for user in users where cached[user.id] == nil {
                group.addTask { (user.id, await compute(user)) }
            }
            return await group.reduce(into: [Int64: Outcome]()) { $0[$1.0] = $1.1 }
        }
        var computed: [Int64: UserLevel] = [:]
        var failures: [(Int64, JSONValue)] = []
        for (id, outcome) in outcomes {
            switch outcome {
            case .level(let level): computed[id] = level
            case .vanished where strict: failures.append((id, UpstreamFailure.notFound.detail(userID: id)))
            case .vanished: break
            case .failed(let detail): failures.append((id, detail))
            }
        }
        // Kept even when others failed: a retry then only redoes the failed users.
        await cache?.store(levels: Array(computed.values))
        if !failures.isEmpty {
            throw APIError.upstream(
                "The users API failed for \(failures.count) user(s).",
                details: failures.sorted { $0.0 < $1.0 }.map(\.1))
        }
        return users.compactMap { cached[$0.id] ?? computed[$0.id] }
    }

    /// One user's level; 404 `USER_NOT_FOUND` when upstream does not know them.
    func level(userID: Int64) async throws -> UserLevel {
        if let cached = await cache?.levels(of: [userID])[userID] { return cached }
        return try await userRuns.value(for: String(userID)) { [self] in try await computeLevel(userID: userID) }
    }

    private func computeLevel(userID: Int64) async throws -> UserLevel {
        let user: UpstreamUser
        do {
            user = try await api.user(userID)
        } catch let failure as UpstreamFailure {
            throw apiError(failure, userID: userID)
        }
        switch await compute(user) {
        case .level(let level):
            await cache?.store(levels: [level])
            return level
        case .vanished: throw apiError(.notFound, userID: userID)
        case .failed(let detail): throw APIError.upstream("The users API failed for user \(userID).", details: [detail])
        }
    }

    /// Users per level among the cached answers, for the dashboard: never calls upstream. Nil
    /// when nothing is cached (or caching is off).
    func cachedLevelCounts() async -> [Level: Int]? {
        guard let cache, let users = await cache.users() else { return nil }
        let levels = await cache.levels(of: users.map(\.id))
        return levels.values.reduce(into: [:]) { $0[$1.level, default: 0] += 1 }
    }

    private func userList() async throws -> [UpstreamUser] {
        if let users = await cache?.users() { return users }
        do {
            let users = try await api.users()
            await cache?.store(users: users)
            return users
        } catch let failure as UpstreamFailure {
            throw apiError(failure, userID: nil)
        }
    }

    private func apiError(_ failure: UpstreamFailure, userID: Int64?) -> APIError {
        if failure == .notFound, let userID {
            return .notFound("No user \(userID) upstream.", code: "USER_NOT_FOUND")
        }
        return .upstream("The users API failed.", details: [failure.detail(userID: userID)])
    }

    /// The library, then the games' progress in waves of 1, 2, 4, ... concurrent calls until the
    /// level is settled. One game at or below 75% settles Bronze, so most such users need a
    /// call or two instead of one per game; users who need every game pay a few more rounds
    /// of latency, which the other users' calls overlap. Calls of a wave not yet sent when it
    /// settles are dropped.
    private func compute(_ user: UpstreamUser) async -> Outcome {
        do {
            let games = try await api.library(of: user.id)
            var tally = LevelTally(gameCount: games.count)
            var (next, wave) = (0, 1)
            while next < games.count && !tally.isSettled {
                let batch = games[next..<min(next + wave, games.count)]
                (next, wave) = (batch.endIndex, wave * 2)
                try await withThrowingTaskGroup(of: GameProgress.self) { group in
                    for game in batch {
                        group.addTask { try await api.progress(of: user.id, in: game.game) }
                    }
                    for try await progress in group {
                        tally.add(progress)
                        if tally.isSettled {
                            group.cancelAll()
                            return
                        }
                    }
                }
            }
            return .level(UserLevel(user: user, level: tally.level))
        } catch UpstreamFailure.notFound {
            return .vanished
        } catch let failure as UpstreamFailure {
            return .failed(failure.detail(userID: user.id))
        } catch {
            return .failed(["user_id": .int(user.id), "reason": .string("\(error)")])
        }
    }
}

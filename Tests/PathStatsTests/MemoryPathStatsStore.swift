import Synchronization

@testable import PathStats

/// The store contract in memory: most hits first, ties by path in byte order.
final class MemoryPathStatsStore: PathStatsStore {
    private let counts = Mutex<[String: Int64]>([:])

    func hit(_ path: String, times: Int) async throws -> Int64 {
        counts.withLock { counts in
            counts[path, default: 0] += Int64(times)
            return counts[path]!
        }
    }

    func count(of path: String) async throws -> Int64 { counts.withLock { $0[path] ?? 0 } }

    func counts(of paths: [String]) async throws -> [Int64] { counts.withLock { counts in paths.map { counts[$0] ?? 0 } } }

    func ranking(offset: Int, limit: Int) async throws -> [PathCount] {
        counts.withLock { counts in
            let ranked = counts.sorted {
                $0.value != $1.value ? $0.value > $1.value : Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8))
            }
            return ranked.dropFirst(offset).prefix(limit).map { PathCount(path: $0.key, count: $0.value) }
        }
    }

    func totalAndRanking(offset: Int, limit: Int) async throws -> RankingPage {
        RankingPage(total: counts.withLock { Int64($0.count) }, ranking: try await ranking(offset: offset, limit: limit))
    }
}

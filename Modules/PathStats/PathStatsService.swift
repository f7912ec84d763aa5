import FeatureKit
import Foundation
import HTTPClient
import Metrics
import SwitchyardCore
import SwitchyardJSON
import Synchronization

/// The rules of path-stats: what counts as a key, the ranking, and the self load test.
struct PathStatsService: Sendable {
    let store: any PathStatsStore
    let http: HTTPClient
    let serverAddress: ServerAddress
    let prefix: String
    let random: RandomSource
    let testConcurrency: Int
    let hits: Counter
    let distinctPaths: Gauge
    let loadTests = BusyGate()
    /// Concurrent hits on one path in one event-loop turn: one increment by their number, each
    /// caller its own count; the next turn's increment does not wait for this one's.
    let pathHits = CoalescedCalls<Int64>(gathering: .forLoopTurn)
    /// The counted key of the path a hit route matched: `PathKey.normalize` of what follows
    /// `/api/`, or under the original profile `PathKey.exact` of the whole `/api/...` path.
    var key: @Sendable (Substring) -> Result<String, PathKey.Problem> = PathKey.normalize
    /// The letters of load-test path segments.
    var letters = PathGenerator.letters

    /// Counts a hit on the path the route matched (see `key`).
    func hit(path: Substring) async throws -> PathCount {
        switch key(path) {
        case .failure(.empty):
            throw APIError.notFound("Nothing to count: the path after /api/ is empty.")
        case .failure(.tooLong(let bytes)):
            throw APIError.validation([
                FieldError(field: "path", message: "must be at most \(PathKey.maximumBytes) bytes, got \(bytes)")
            ])
        case .success(let key):
            let count = try await pathHits.answer(for: key) { [store] callers in
                let total = try await store.hit(key, times: callers)
                // As if one after another in the order they arrived: the first gets the lowest.
                return (0..<callers).map { total - Int64(callers - 1 - $0) }
            }
            hits.increment()
            return PathCount(path: key, count: count)
        }
    }

    func count(path: Substring) async throws -> PathCount {
        guard case .success(let key) = PathKey.normalize(path) else {
            throw APIError.notFound("No such path.")
        }
        return PathCount(path: key, count: try await store.count(of: key))
    }

    /// The number of distinct paths and the first `limit` ranks from `offset`.
    func firstPage(offset: Int, limit: Int) async throws -> RankingPage {
        let page = try await store.totalAndRanking(offset: offset, limit: limit)
        distinctPaths.record(page.total)
        return page
    }

    func ranking(offset: Int, limit: Int) async throws -> [PathCount] {
        try await store.ranking(offset: offset, limit: limit)
    }

    /// Sends `n` GETs to this server's own `/api/...` with bounded concurrency and reports them.
    /// One load test at a time per process: each can make a million requests of its own.
    func loadTest(requests n: Int) async throws -> LoadTestReport {
        try await loadTests.run { try await runLoadTest(requests: n) }
    }

    private func runLoadTest(requests n: Int) async throws -> LoadTestReport {
        guard let base = serverAddress.baseURL else {
            throw APIError(.serviceUnavailable, code: "NOT_READY", message: "The server is not listening yet.")
        }
        let target = base + (prefix == "/" ? "" : prefix) + "/api/"
        // Drawn from a generator seeded once per run: the system's source is a syscall per draw.
        let generator = PathGenerator(random: .seeded(random.next()), letters: letters)
        let state = Mutex((left: n, generated: Set<String>()))
        let start = ContinuousClock.now
        let report = try await http.getAll(concurrency: testConcurrency) {
            state.withLock { state -> String? in
                guard state.left > 0 else { return nil }
                state.left -= 1
                let path = generator.nextPath()
                state.generated.insert(String(path.dropLast()))
                return target + path
            }
        }
        let elapsed = ContinuousClock.now - start
        let paths = state.withLock { $0.generated }.sorted()
        let counts = try await store.counts(of: paths)
        let succeeded = report.statuses[200, default: 0]
        return LoadTestReport(
            requested: n, succeeded: succeeded, failed: n - succeeded,
            elapsedMilliseconds: Int(elapsed / .milliseconds(1)), pool: generator.pool,
            paths: zip(paths, counts).map { PathCount(path: $0, count: $1) })
    }
}

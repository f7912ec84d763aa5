import FeatureKit
import HTTPClient
import Metrics
import SwitchyardCore
import SwitchyardJSON
import Synchronization

/// The four upstream endpoints, through the shared libcurl client: every call waits for one of
/// the feature's permits (its own cap on requests in flight), has a timeout and is retried on
/// connection errors, timeouts and 5xx.
struct UsersAPI: Sendable {
    /// Counts above this are refused as malformed, which also keeps the level arithmetic exact.
    static let maximumCount: Int64 = 1 << 31

    let baseURL: String
    let http: HTTPClient
    let permits: FIFOSemaphore
    let timeout: Duration
    let retry: RetryPolicy
    let metrics: UpstreamMetrics

    func users() async throws -> [UpstreamUser] {
        let path = "/users"
        guard let list = try await fetch(path).arrayValue else { throw malformed(path) }
        return try list.map { value in
            guard let user = UpstreamUser(value) else { throw malformed(path) }
            return user
        }
    }

    func user(_ id: Int64) async throws -> UpstreamUser {
        let path = "/users/\(id)"
        guard let user = UpstreamUser(try await fetch(path)) else { throw malformed(path) }
        return user
    }

    /// The ids of the user's games with their available achievements.
    func library(of userID: Int64) async throws -> [(game: Int64, available: Int64)] {
        let path = "/users/\(userID)/library"
        guard let games = try await fetch(path)["ownedGames"]?.arrayValue else { throw malformed(path) }
        return try games.map { game in
            guard let id = game["id"]?.intValue, let available = count(game["totalAvailableAchievements"]) else {
                throw malformed(path)
            }
            return (id, available)
        }
    }

    func progress(of userID: Int64, in gameID: Int64) async throws -> GameProgress {
        let path = "/users/\(userID)/achievements/\(gameID)"
        let answer = try await fetch(path)
        guard let completed = count(answer["totalCompletedAchievements"]),
            let available = count(answer["game"]?["totalAvailableAchievements"])
        else { throw malformed(path) }
        return GameProgress(completed: completed, available: available)
    }

    private func count(_ value: JSONValue?) -> Int64? {
        value?.intValue.flatMap { (0...Self.maximumCount).contains($0) ? $0 : nil }
    }

    private func malformed(_ path: String) -> UpstreamFailure {
        .failed(request: "GET \(path)", status: 200, reason: "unexpected JSON shape")
    }

    private func fetch(_ path: String) async throws -> JSONValue {
        let request = "GET \(path)"
        let started = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            response = try await permits.withPermit {
                // Once sent, a call runs to its end even if its caller stops caring (the level
                // settled): dropping it would free the permit while upstream still works on it,
                // and upstream would see more than the cap in flight.
                try await Task {
                    try await http.get(baseURL + path, headers: [("Accept", "application/json")], timeout: timeout, retry: retry)
                }.value
            }
        } catch let error as HTTPClientError {
            metrics.record(status: "error", since: started)
            throw UpstreamFailure.failed(request: request, status: nil, reason: error.description)
        }
        metrics.record(status: String(response.status), since: started)
        switch response.status {
        case 200..<300:
            guard let value = try? JSONValue(parsing: response.body) else {
                throw UpstreamFailure.failed(request: request, status: response.status, reason: "invalid JSON")
            }
            return value
        case 404: throw UpstreamFailure.notFound
        default: throw UpstreamFailure.failed(request: request, status: response.status, reason: "HTTP \(response.status)")
        }
    }
}

/// `upstream_requests_total{status}` and `upstream_request_duration_seconds`, one sample per
/// call as its caller saw it (after retries); transport failures have status "error".
final class UpstreamMetrics: Sendable {
    private let factory: any MetricsFactory
    private let counters = Mutex<[String: Counter]>([:])
    private let duration: Metrics.Timer

    init(factory: any MetricsFactory) {
        self.factory = factory
        duration = Metrics.Timer(label: "upstream_request_duration_seconds", factory: factory)
    }

    func record(status: String, since start: ContinuousClock.Instant) {
        duration.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
        let counter = counters.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = Counter(label: "upstream_requests_total", dimensions: [("status", status)], factory: factory)
            counters[status] = counter
            return counter
        }
        counter.increment()
    }
}

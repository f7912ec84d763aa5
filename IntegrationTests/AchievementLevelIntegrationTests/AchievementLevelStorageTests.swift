import AchievementLevel
import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import SwitchyardHost
import SwitchyardJSON
import Testing
import UsersAPIStub

/// achievement-level through HTTP, against an in-process users-API stub and the real Redis.
@Suite struct AchievementLevelStorageTests {
    let cachePrefix = "test:achievement-level:\(UUID().uuidString)"

    /// Runs `body` with a Switchyard whose feature calls a stub built from `stubConfiguration`.
    func withServer(
        stub stubConfiguration: UsersAPIStub.Configuration, settings: [String: String] = [:],
        _ body: @escaping @Sendable (any TestClientProtocol, UsersAPIStub) async throws -> Void
    ) async throws {
        let stub = UsersAPIStub(stubConfiguration, random: .seeded(42))
        let upstream = Application(router: stub.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await upstream.test(.live) { stubClient in
            let environment = [
                "REDIS_URL": try TestEnvironment.redisURL,
                "USERS_API_URL": "http://127.0.0.1:\(stubClient.port!)/",
                "FEATURES_ACHIEVEMENT_LEVEL_REDIS_PREFIX": cachePrefix,
            ].merging(settings) { _, new in new }
            let reader = try await ConfigSources.reader(flags: [:], configFile: nil, environment: environment)
            let server = try await Switchyard.build(settings: reader, knownFeatures: [AchievementLevelFeature.self])
            try await server.application.test(.router) { client in try await body(client, stub) }
        }
    }

    static func get(_ client: any TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, JSONValue) {
        try await client.execute(uri: "/achievement-level" + uri, method: .get) { response in
            (response.status, try JSONValue(parsing: Array(response.body.readableBytesView)))
        }
    }

    static func levels(_ body: JSONValue) -> [Int64: String] {
        Dictionary(
            uniqueKeysWithValues: (body.arrayValue ?? []).compactMap { entry in
                entry["user"]?["id"]?.intValue.map { ($0, entry["overallAchievementLevel"]?.stringValue ?? "?") }
            })
    }

    @Test func boundaryUsersInUpstreamOrder() async throws {
        try await withServer(stub: .init(users: 11)) { client, stub in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .ok)
            let entries = body.arrayValue ?? []
            #expect(entries.compactMap { $0["user"]?["id"]?.intValue } == Array(1...11))
            #expect(entries.map { $0["overallAchievementLevel"]?.stringValue } == StubData.boundaryCases.map(\.level))
            let first = stub.data.users[0]
            #expect(entries.first?["user"] == ["id": 1, "name": .string(first.name), "email": .string(first.email)])
        }
    }

    // The level filter, single users, bad ids, vanished and failing users: AchievementLevelRoutesTests (unit).

    @Test func alwaysFailingUpstreamIs502AndUnreachableToo() async throws {
        try await withServer(stub: .init(users: 11, errorRate: 1.0)) { client, stub in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .badGateway)
            #expect(body["error"] == "UPSTREAM_ERROR")
            #expect(body["details"]?.arrayValue?.first?["status"] == 500)
            #expect(stub.requests == 3)  // The list call and its 2 retries.
            let (single, _) = try await Self.get(client, "/users/1")
            #expect(single == .badGateway)
        }
        try await withServer(stub: .init(users: 1), settings: ["USERS_API_URL": "http://127.0.0.1:1/"]) { client, _ in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .badGateway)
            #expect(body["details"]?.arrayValue?.first?["status"] == .null)
        }
    }

    /// The upstream answers only after 3 s; the 0.2 s deadline cuts the call first. The proof is
    /// the answer itself (a 502 that says the request timed out, where a waited-for upstream
    /// would give 200), not a stopwatch, which a loaded machine can stretch.
    @Test func hangingUpstreamIs502WithinTheTimeout() async throws {
        let settings = ["FEATURES_ACHIEVEMENT_LEVEL_TIMEOUT": "0.2", "FEATURES_ACHIEVEMENT_LEVEL_MAX_RETRIES": "0"]
        try await withServer(stub: .init(users: 1, latency: .seconds(3)), settings: settings) { client, _ in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .badGateway)
            #expect(body["details"]?.arrayValue?.first?["reason"] == "request timed out", "\(body)")
        }
    }

    @Test func retriesRecoverFromThirtyPercentErrors() async throws {
        let expected = Dictionary(uniqueKeysWithValues: StubData.boundaryCases.enumerated().map { (Int64($0.offset + 1), $0.element.level) })
        let settings = ["FEATURES_ACHIEVEMENT_LEVEL_MAX_RETRIES": "10", "FEATURES_ACHIEVEMENT_LEVEL_CACHE_TTL": "0"]
        try await withServer(stub: .init(users: 11, errorRate: 0.3), settings: settings) { client, stub in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .ok)
            #expect(Self.levels(body) == expected)
            #expect(stub.injectedErrors > 0)
        }
    }

    @Test func inFlightCapIsRespected() async throws {
        let settings = ["FEATURES_ACHIEVEMENT_LEVEL_MAX_CONCURRENCY": "4", "FEATURES_ACHIEVEMENT_LEVEL_CACHE_TTL": "0"]
        try await withServer(stub: .init(users: 40, latency: .milliseconds(5)), settings: settings) { client, stub in
            let (status, _) = try await Self.get(client, "/users")
            #expect(status == .ok)
            #expect(stub.maxInFlight <= 4)
            #expect(stub.maxInFlight >= 2)
        }
    }

    /// Users whose level settles early (a game at or below 75%) are not asked about every game.
    @Test func settledUsersSkipTheirRemainingGames() async throws {
        // A small cap keeps calls queued long enough to be dropped.
        let settings = ["FEATURES_ACHIEVEMENT_LEVEL_CACHE_TTL": "0", "FEATURES_ACHIEVEMENT_LEVEL_MAX_CONCURRENCY": "4"]
        try await withServer(stub: .init(users: 60, latency: .milliseconds(1)), settings: settings) { client, stub in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .ok)
            #expect(Self.levels(body).count == 60)
            let everyCall = 1 + 60 + stub.data.users.filter { $0.library.count > 10 }.map(\.library.count).reduce(0, +)
            #expect(stub.requests < everyCall * 9 / 10)
        }
    }

    /// Requests that arrive while the list is being computed share that one computation.
    @Test func concurrentListCallsShareOneFanOut() async throws {
        let settings = ["FEATURES_ACHIEVEMENT_LEVEL_CACHE_TTL": "0"]
        try await withServer(stub: .init(users: 11, latency: .milliseconds(20)), settings: settings) { client, stub in
            _ = try await Self.get(client, "/users")
            let one = stub.requests
            stub.resetCounters()
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await Self.get(client, "/users").0 } }
                for try await status in group { #expect(status == .ok) }
            }
            #expect(stub.requests <= 2 * one, "20 concurrent calls made \(stub.requests) upstream requests; one makes \(one)")
        }
    }

    @Test func warmCacheMakesNoUpstreamCalls() async throws {
        try await withServer(stub: .init(users: 30)) { client, stub in
            let (_, cold) = try await Self.get(client, "/users")
            #expect(stub.requests > 30)
            stub.resetCounters()
            let (status, warm) = try await Self.get(client, "/users")
            #expect(status == .ok)
            #expect(warm == cold)
            let (_, filtered) = try await Self.get(client, "/users?level=none")
            #expect(filtered.arrayValue?.count == Self.levels(cold).values.filter { $0 == "None" }.count)
            let (_, single) = try await Self.get(client, "/users/8")
            #expect(single == cold.arrayValue?[7])
            #expect(stub.requests == 0)
        }
        try await withServer(stub: .init(users: 5), settings: ["FEATURES_ACHIEVEMENT_LEVEL_CACHE_TTL": "0"]) { client, stub in
            _ = try await Self.get(client, "/users")
            stub.resetCounters()
            _ = try await Self.get(client, "/users")
            #expect(stub.requests > 0)
        }
    }

    /// Prometheus-style names by default; the games-platform test's own names under its profile.
    @Test(arguments: APIProfile.allCases) func metricsAreNamedForTheProfile(profile: APIProfile) async throws {
        try await withServer(stub: .init(users: 11), settings: ["FEATURES_ACHIEVEMENT_LEVEL_API": profile.rawValue]) { client, _ in
            _ = try await Self.get(client, "/users")
            _ = try await Self.get(client, "/users?level=gold")
            _ = try await Self.get(client, "/users/2")
            let text = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            let original = [
                "get_all_users_levels_request_count 1", "get_all_users_levels_filtered_request_count 1",
                "get_user_level_request_count 1", "get_all_users_levels_duration_count", "get_user_level_duration_count",
            ]
            let conventional = [
                "achievement_level_users_requests_total 1", "achievement_level_users_filtered_requests_total 1",
                "achievement_level_user_requests_total 1", "achievement_level_users_duration_seconds_count",
                "achievement_level_user_duration_seconds_count",
            ]
            let (expected, absent) = profile == .original ? (original, conventional) : (conventional, original)
            for name in expected + [#"upstream_requests_total{status="200"}"#, "upstream_request_duration_seconds_count"] {
                #expect(text.contains(name), "\(name)")
            }
            for name in absent { #expect(!text.contains(name.split(separator: " ")[0]), "\(name)") }
        }
    }
}

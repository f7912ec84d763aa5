import FeatureKit
import FeatureTesting
import HTTPClient
import Hummingbird
import HummingbirdTesting
import Metrics
import SwitchyardCore
import SwitchyardJSON
import Testing
import UsersAPIStub

@testable import AchievementLevel

/// Both routes through the router, over the in-memory cache and an in-process users-API stub
/// on loopback (no Redis, no PostgreSQL).
@Suite struct AchievementLevelRoutesTests {
    /// Runs `body` against the routes of a service calling a stub of `stub`, cached in `cache`.
    func withRoutes(
        stub configuration: UsersAPIStub.Configuration, cache: MemoryLevelCache? = MemoryLevelCache(), maxRetries: Int = 2,
        profile: APIProfile = .switchyard, _ body: @escaping @Sendable (any TestClientProtocol, UsersAPIStub) async throws -> Void
    ) async throws {
        let stub = UsersAPIStub(configuration, random: .seeded(42))
        let upstream = Application(router: stub.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let http = HTTPClient()
        try await upstream.test(.live) { stubClient in
            let api = UsersAPI(
                baseURL: "http://127.0.0.1:\(stubClient.port!)", http: http, permits: FIFOSemaphore(permits: 16),
                timeout: .seconds(5), retry: RetryPolicy(maxRetries: maxRetries, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5)),
                metrics: UpstreamMetrics(factory: NOOPMetricsHandler.instance))
            let service = AchievementLevelService(api: api, cache: cache)
            let metrics = AchievementLevelMetrics(profile: profile, factory: NOOPMetricsHandler.instance)
            try await routeTestApplication(prefix: "/achievement-level") { group in
                switch profile {
                case .switchyard: AchievementLevelRoutes(service: service, metrics: metrics).addRoutes(to: group)
                case .original: AchievementLevelOriginalRoutes(service: service, metrics: metrics).addRoutes(to: group)
                }
            }.test(.router) { client in
                try await body(client, stub)
            }
        }
        await http.shutdown()
    }

    static func get(_ client: any TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, JSONValue) {
        try await client.json(.get, "/achievement-level" + uri)
    }

    @Test func everyBoundaryUserInUpstreamOrderThenFromTheCache() async throws {
        try await withRoutes(stub: .init(users: 11)) { client, stub in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .ok)
            let entries = body.arrayValue ?? []
            #expect(entries.compactMap { $0["user"]?["id"]?.intValue } == Array(1...11))
            #expect(entries.map { $0["overallAchievementLevel"]?.stringValue } == StubData.boundaryCases.map(\.level))
            let calls = stub.requests
            let (again, cached) = try await Self.get(client, "/users")
            #expect(again == .ok)
            #expect(cached == body)
            #expect(stub.requests == calls)
        }
    }

    @Test func filterSingleUserAndBadInput() async throws {
        try await withRoutes(stub: .init(users: 11)) { client, _ in
            for query in ["gold", "GOLD", "Gold"] {
                let (status, body) = try await Self.get(client, "/users?level=\(query)")
                #expect(status == .ok)
                #expect((body.arrayValue ?? []).compactMap { $0["user"]?["id"]?.intValue } == [5, 6, 7, 9])
            }
            let (badStatus, bad) = try await Self.get(client, "/users?level=diamond")
            #expect(badStatus == .badRequest)
            #expect(bad["error"] == "VALIDATION_ERROR")
            let (status, platinum) = try await Self.get(client, "/users/8")
            #expect(status == .ok)
            #expect(platinum["overallAchievementLevel"] == "Platinum")
            let (missingStatus, missing) = try await Self.get(client, "/users/999")
            #expect(missingStatus == .notFound)
            #expect(missing["error"] == "USER_NOT_FOUND")
            for word in ["abc", "-1", "99999999999"] {
                let (wordStatus, _) = try await Self.get(client, "/users/\(word)")
                #expect(wordStatus == .badRequest)
            }
        }
    }

    @Test func vanishedUsersAreLeftOutAndFailingOnesAre502() async throws {
        try await withRoutes(stub: .init(users: 11, vanished: [3]), cache: nil) { client, _ in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .ok)
            #expect((body.arrayValue ?? []).compactMap { $0["user"]?["id"]?.intValue } == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11])
        }
        try await withRoutes(stub: .init(users: 11, failing: [4, 6]), maxRetries: 1) { client, _ in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .badGateway)
            #expect(body["error"] == "UPSTREAM_ERROR")
            #expect(body["details"]?.arrayValue?.compactMap { $0["user_id"]?.intValue } == [4, 6])
        }
    }

    /// The original profile: users exactly as upstream sent them (the stub adds `username`),
    /// unknown levels match nobody, and failures carry upstream's status in its own shape.
    @Test func originalPassesUsersThroughAndFailsTheWholeList() async throws {
        try await withRoutes(stub: .init(users: 11), profile: .original) { client, _ in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .ok)
            let first = body.arrayValue?.first?["user"]
            #expect(first?.objectValue.map { Set($0.keys) } == ["id", "name", "email", "username"])
            #expect(first?["username"] == "player1")
            for query in ["diamond", ""] {
                let (unknownStatus, unknown) = try await Self.get(client, "/users?level=\(query)")
                #expect(unknownStatus == .ok)
                #expect(unknown == [])
            }
            let (goldStatus, gold) = try await Self.get(client, "/users?level=gold")
            #expect(goldStatus == .ok)
            #expect((gold.arrayValue ?? []).compactMap { $0["user"]?["id"]?.intValue } == [5, 6, 7, 9])
            let (one, user) = try await Self.get(client, "/users/8")
            #expect(one == .ok)
            #expect(user["user"]?["username"] == "player8")
            let (missingStatus, missing) = try await Self.get(client, "/users/999")
            #expect(missingStatus == .notFound)
            #expect(missing["status_code"] == 404)
            #expect(missing["message"]?.stringValue != nil)
            let (wordStatus, word) = try await Self.get(client, "/users/abc")
            #expect(wordStatus == .notFound)
            #expect(word["status_code"] == 404)
        }
        try await withRoutes(stub: .init(users: 11, vanished: [3]), cache: nil, profile: .original) { client, _ in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .notFound)
            #expect(body["status_code"] == 404)
        }
        try await withRoutes(stub: .init(users: 11, failing: [4]), maxRetries: 0, profile: .original) { client, _ in
            let (status, body) = try await Self.get(client, "/users")
            #expect(status == .internalServerError)
            #expect(body.objectValue.map { Set($0.keys) } == ["message", "status_code"])
            #expect(body["status_code"] == 500)
        }
    }
}

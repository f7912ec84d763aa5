import FeatureKit
import FeatureTesting
import HTTPClient
import Hummingbird
import HummingbirdTesting
import Metrics
import SwitchyardJSON
import Testing

@testable import PathStats

/// Every path-stats route through the router, over the in-memory store. (The self load test
/// calls this server over HTTP, so its run is an integration test; its input checks are here.)
@Suite struct PathStatsRoutesTests {
    let store = MemoryPathStatsStore()

    func app(adminToken: String? = nil) -> some ApplicationProtocol {
        let service = PathStatsService(
            store: store, http: HTTPClient(), serverAddress: ServerAddress(), prefix: "/path-stats", random: .seeded(1),
            testConcurrency: 4, hits: Counter(label: "h"), distinctPaths: Gauge(label: "d"))
        let routes = PathStatsRoutes(service: service, testMax: 100, adminToken: adminToken)
        return routeTestApplication(prefix: "/path-stats") { routes.addRoutes(to: $0) }
    }

    static func get(_ client: any TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, JSONValue, String?) {
        try await client.execute(uri: "/path-stats" + uri, method: .get) { ($0.status, $0.json ?? .null, $0.headers[.xTotalCount]) }
    }

    @Test func hitsCountAndRank() async throws {
        try await app().test(.router) { client in
            for path in ["/api/a/b/", "/api/a/b", "/api//a/b/", "/api/c/", "/api/c/", "/api/c/", "/api/b/"] {
                let (status, _, _) = try await Self.get(client, path)
                #expect(status == .ok, "\(path)")
            }
            let (_, one, _) = try await Self.get(client, "/api/a/b/")
            #expect(one["count"] == 4)
            let (status, ranking, total) = try await Self.get(client, "/stats")
            #expect(status == .ok)
            #expect(total == "3")
            #expect(ranking.arrayValue?.map { $0["count"] } == [4, 3, 1])
            let (_, limited, _) = try await Self.get(client, "/stats?offset=1&limit=1")
            #expect(limited.arrayValue?.count == 1 && limited.arrayValue?.first?["count"] == 3)
            let (countStatus, count, _) = try await Self.get(client, "/stats/c/")
            #expect(countStatus == .ok && count["count"] == 3)
            let (_, unknown, _) = try await Self.get(client, "/stats/never/")
            #expect(unknown["count"] == 0)
        }
    }

    @Test func aLongRankingStreamsInChunks() async throws {
        for index in 0..<(PathStatsRoutes.chunkSize * 2 + 5) { _ = try await store.hit("p/\(index)", times: 1) }
        try await app().test(.router) { client in
            let (status, ranking, total) = try await Self.get(client, "/stats")
            #expect(status == .ok)
            #expect(total == String(PathStatsRoutes.chunkSize * 2 + 5))
            #expect(ranking.arrayValue?.count == PathStatsRoutes.chunkSize * 2 + 5)
        }
    }

    @Test func badInputIsRefused() async throws {
        try await app(adminToken: "t").test(.router) { client in
            #expect(try await Self.get(client, "/api/").0 == .notFound)
            #expect(try await Self.get(client, "/stats?limit=0").0 == .badRequest)
            #expect(try await Self.get(client, "/stats?offset=-1").0 == .badRequest)
            let tooLong = String(repeating: "x", count: PathKey.maximumBytes + 1)
            #expect(try await Self.get(client, "/api/\(tooLong)/").0 == .badRequest)
            try await client.execute(uri: "/path-stats/test/5", method: .post) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/path-stats/test/101", method: .post, headers: [.authorization: "Bearer t"]) {
                #expect($0.status == .badRequest)
            }
        }
        #expect(try await store.totalAndRanking(offset: 0, limit: 1).total == 0)
    }
}

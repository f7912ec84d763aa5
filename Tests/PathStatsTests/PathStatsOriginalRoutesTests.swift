import FeatureKit
import FeatureTesting
import HTTPClient
import Hummingbird
import HummingbirdTesting
import Metrics
import SwitchyardJSON
import Testing

@testable import PathStats

/// The original profile (the Close reference's API) at the root, over the in-memory store.
@Suite struct PathStatsOriginalRoutesTests {
    let store = MemoryPathStatsStore()

    func app() -> some ApplicationProtocol {
        var service = PathStatsService(
            store: store, http: HTTPClient(), serverAddress: ServerAddress(), prefix: "/", random: .seeded(1),
            testConcurrency: 4, hits: Counter(label: "h"), distinctPaths: Gauge(label: "d"))
        service.key = PathKey.exact
        let routes = PathStatsOriginalRoutes(service: service, testMax: 100, adminToken: nil)
        return routeTestApplication(prefix: "/") { routes.addRoutes(to: $0) }
    }

    @Test func hitsAnswerTextAndCountTheWholeDecodedPath() async throws {
        try await app().test(.router) { client in
            for path in ["/api/hello/world/", "/api/hello/world/?x=1", "/api/hello/world", "/api/hello%20there/"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                    let counted = path.split(separator: "?")[0].replacingOccurrences(of: "%20", with: " ")
                    #expect(response.text == "Request \(counted) finished")
                }
            }
            try await client.execute(uri: "/stats/", method: .get) { response in
                #expect(
                    response.json == [
                        "URL request counts": [
                            ["url": "/api/hello/world/", "request_count": 2], ["url": "/api/hello there/", "request_count": 1],
                            ["url": "/api/hello/world", "request_count": 1],
                        ]
                    ])
            }
            try await client.execute(uri: "/stats", method: .get) { #expect($0.json?["URL request counts"]?.arrayValue?.count == 3) }
        }
    }

    /// Slashes are part of the original's key, runs of them too.
    @Test func slashesAreKeptAsSent() async throws {
        try await app().test(.router) { client in
            for path in ["/api//double//slash", "/api/a//", "/api/a/"] {
                try await client.execute(uri: path, method: .get) { #expect($0.text == "Request \(path) finished") }
            }
        }
    }

    @Test func emptyRankingIsAnEmptyList() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/stats/", method: .get) { #expect($0.json == ["URL request counts": []]) }
        }
    }

    @Test func loadTestPathsAreLowercase() {
        let generator = PathGenerator(random: .seeded(9), letters: PathGenerator.lowercase)
        #expect(generator.pool.allSatisfy { $0.allSatisfy(\.isLowercase) && $0.count == 3 })
    }
}

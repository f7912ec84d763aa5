import FeatureKit
import Foundation
import HummingbirdTesting
import KnownFeatures
import SwitchyardHost
import Testing

/// `/openapi.json` describes every route of every feature the binary ships, and every path it
/// documents is one the server serves.
@Suite struct OpenAPIContractTests {
    @Test func documentMatchesTheRegisteredRoutes() async throws {
        let settings = try await ConfigSources.reader(
            flags: [:], configFile: nil,
            environment: [
                "REDIS_URL": try TestEnvironment.redisURL, "DATABASE_URL": try TestEnvironment.databaseURL,
                "FEATURES_USER_POINTS_SEED_USERS": "1000",
            ])
        let server = try await Switchyard.build(settings: settings, knownFeatures: knownFeatures)
        try await server.application.test(.router) { client in
            let features = try await client.execute(uri: "/features", method: .get) { response in
                try JSONDecoder().decode(Features.self, from: Data(buffer: response.body))
            }
            #expect(Set(features.features.map(\.id)) == Set(knownFeatures.map { $0.id }))
            let document = try await client.execute(uri: "/openapi.json", method: .get) { response in
                try JSONDecoder().decode(JSONValue.self, from: Data(buffer: response.body))
            }
            guard case .object(let paths)? = document["paths"] else {
                Issue.record("no paths")
                return
            }
            // Documented paths keep the spec's trailing slashes and name catch-alls `{path}`.
            var documented = Set<String>()
            for (path, item) in paths {
                guard case .object(let operations) = item else { continue }
                for method in operations.keys { documented.insert("\(method.uppercased()) \(Self.shape(path))") }
            }
            let served = Set(features.features.flatMap(\.routes).map { route -> String in
                let parts = route.split(separator: " ", maxSplits: 1)
                return "\(parts[0]) \(Self.shape(String(parts[1])))"
            })
            #expect(served.subtracting(documented).isEmpty, "undocumented: \(served.subtracting(documented).sorted())")
            let operational = Set([
                "GET /health", "GET /ready", "GET /metrics", "GET /features", "GET /openapi.json", "GET /docs", "GET /dashboard", "GET /",
            ])
            #expect(documented.subtracting(served).subtracting(operational).isEmpty,
                    "documented but not served: \(documented.subtracting(served).subtracting(operational).sorted())")
        }
    }

    /// `/a/{x}/` and `/a/**` both become `/a/{}`.
    static func shape(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix("{") || $0 == "**" ? "{}" : String($0) }.joined(separator: "/")
    }

    struct Features: Decodable {
        struct Entry: Decodable {
            let id: String
            let routes: [String]
        }
        let features: [Entry]
    }
}

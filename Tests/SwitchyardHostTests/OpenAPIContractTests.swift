import FeatureKit
import Foundation
import KnownFeatures
import Metrics
import Testing

@testable import SwitchyardHost

/// `/openapi.json` describes every route of every feature the binary ships, and every path it
/// documents is one the server serves.
@Suite struct OpenAPIContractTests {
    /// Every feature constructed as `serve` does (no connection is made), its routes as the
    /// router registers them, and the document `/openapi.json` serves.
    @Test func documentMatchesTheRegisteredRoutes() async throws {
        let source = try await ConfigSources.reader(flags: [:], configFile: nil, environment: [:])
        let settings = try HostSettings(source, knownFeatures: knownFeatures)
        let mounted = try await Switchyard.mountFeatures(
            settings: settings, source: source, infrastructure: settings.makeInfrastructure(),
            metrics: NOOPMetricsHandler.instance, clock: .system, random: .system)
        #expect(Set(mounted.map(\.id)) == Set(knownFeatures.map { $0.id }))
        let document = OpenAPIDocument.build(features: mounted)
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
        let served = Set(
            mounted.flatMap(\.routes).map { route -> String in
                let parts = route.description.split(separator: " ", maxSplits: 1)
                return "\(parts[0]) \(Self.shape(String(parts[1])))"
            })
        #expect(served.subtracting(documented).isEmpty, "undocumented: \(served.subtracting(documented).sorted())")
        let operational = Set(OperationalRoutes.paths.map { "GET \($0)" } + ["GET /"])
        #expect(
            documented.subtracting(served).subtracting(operational).isEmpty,
            "documented but not served: \(documented.subtracting(served).subtracting(operational).sorted())")
    }

    /// `/a/{x}/` and `/a/**` both become `/a/{}`.
    static func shape(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix("{") || $0 == "**" ? "{}" : String($0) }.joined(separator: "/")
    }
}

import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import SwitchyardHost

@Suite struct FeatureHostTests {
    @Test func enabledFeatureIsMountedAtItsIdByDefault() async throws {
        let server = try await makeServer()
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/echo/items/42", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json == ["id": "42", "greeting": "hello"])
            }
        }
    }

    @Test func disabledFeatureIsNeverConstructedAndItsRoutesAnswer404() async throws {
        let server = try await makeServer(environment: ["FEATURES": "echo"], known: [EchoFeature.self, SpyFeature.self])
        #expect(SpyFeature.constructions.load(ordering: .relaxed) == 0)
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/spy/seen", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.json?["error"] == "NOT_FOUND")
            }
            try await client.execute(uri: "/features", method: .get) { response in
                let ids = response.text
                #expect(ids.contains("\"echo\"") && !ids.contains("\"spy\""))
            }
        }
    }

    @Test func prefixSlashMountsAtTheRoot() async throws {
        let server = try await makeServer(flags: ["features.echo.prefix": "/"])
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/items/1", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/echo/items/1", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func collidingRoutesStopStartupNamingBothFeatures() async throws {
        let error = await #expect(throws: RouteCollisionError.self) {
            _ = try await makeServer(
                environment: ["FEATURES_SHADOW_PREFIX": "/echo"], known: [EchoFeature.self, ShadowFeature.self])
        }
        #expect(error?.description == "route collision: GET /echo/items/{other} of feature 'shadow' is already served by 'echo'")
    }

    @Test func featureCannotShadowAnOperationalRoute() async throws {
        let error = await #expect(throws: RouteCollisionError.self) {
            _ = try await makeServer(flags: ["features.health-shadow.prefix": "/"], known: [HealthShadow.self])
        }
        #expect(error?.owner == "operational endpoints")
    }

    @Test func sameRoutesUnderDifferentPrefixesDoNotCollide() async throws {
        let server = try await makeServer(known: [EchoFeature.self, ShadowFeature.self])
        #expect(server.settings.enabledFeatures.count == 2)
    }
}

/// Tries to register `/health` at the root.
struct HealthShadow: Feature {
    static let id = "health-shadow"
    init(_ dependencies: FeatureDependencies) async throws {}
    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/health") { _, _ in Response.json(["mine": true]) }
    }
    var openAPI: OpenAPIFragment { OpenAPIFragment() }
}

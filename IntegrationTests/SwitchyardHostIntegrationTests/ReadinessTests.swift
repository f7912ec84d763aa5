import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import Redis
import SwitchyardHost
import Testing

/// A feature that keeps a counter in Redis, to see Redis health through the HTTP server.
struct TallyFeature: Feature {
    static let id = "tally"
    let redis: RedisClient

    init(_ dependencies: FeatureDependencies) async throws {
        redis = dependencies.infrastructure.redis()
    }

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.post("/{name}") { _, context -> Response in
            let name = try context.parameters.require("name")
            let count = try await redis.incrementBy("tally:\(name)", 1)
            return .json(["count": .int(count)])
        }
    }

    var openAPI: OpenAPIFragment { OpenAPIFragment() }
}

@Suite(.serialized) struct ReadinessTests {
    /// A command timeout of 0.5 s by default, so that outages show quickly.
    func server(redisURL: String, known: [any Feature.Type] = [TallyFeature.self], commandTimeout: String = "0.5") async throws -> Switchyard {
        let settings = try await ConfigSources.reader(
            flags: [:], configFile: nil, environment: ["REDIS_URL": redisURL, "REDIS_COMMAND_TIMEOUT": commandTimeout])
        return try await Switchyard.build(settings: settings, knownFeatures: known)
    }

    @Test func readyReportsRedisAndRoutesAnswer503WhileItIsDown() async throws {
        let redis = RedisProcess()
        try await redis.start()
        let server = try await server(redisURL: redis.url)
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/tally/a", method: .post) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""redis":"ok""#))
            }

            await redis.kill()
            try await client.execute(uri: "/tally/a", method: .post) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains(#""error":"DEPENDENCY_UNAVAILABLE""#))
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains(#""field":"redis""#))
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
            }

            try await redis.start()
            var status = HTTPResponse.Status.serviceUnavailable
            let restarted = ContinuousClock.now
            while status != .ok, ContinuousClock.now - restarted < .seconds(15) {  // a hang guard
                try await Task.sleep(for: .milliseconds(50))
                status = try await client.execute(uri: "/tally/a", method: .post) { $0.status }
            }
            #expect(status == .ok)
        }
        await redis.kill()
    }

    @Test func readyIgnoresRedisWhenNoEnabledFeatureUsesIt() async throws {
        let server = try await server(redisURL: "redis://127.0.0.1:1/0", known: [])
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    /// No outage here: a PING slower than 0.5 s on a machine busy with the suite read as one.
    @Test func sharedRedisFromTheTestScriptIsReady() async throws {
        let server = try await server(redisURL: try TestEnvironment.redisURL, commandTimeout: "30")
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/tally/\(UUID().uuidString)", method: .post) { response in
                #expect(String(buffer: response.body) == #"{"count":1}"#)
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}

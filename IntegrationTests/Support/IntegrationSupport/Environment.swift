import Foundation
import Hummingbird
import HummingbirdTesting
import KnownFeatures
import Postgres
import SwitchyardHost
import Testing
import UsersAPIStub

/// The services the integration tests run against, from the same variables the server reads.
/// A missing variable fails the test: integration tests never skip silently.
package enum TestEnvironment {
    package static func require(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw MissingService(variable: name)
        }
        return value
    }

    package static var redisURL: String { get throws { try require("REDIS_URL") } }
    /// The suite runs through pgbouncer (scripts/test --pgbouncer): server sessions are the
    /// pooler's, and `statement_timeout` is the role's, not the client's.
    package static var throughPooler: Bool { ProcessInfo.processInfo.environment["SWITCHYARD_PGBOUNCER_SERVER"] != nil }
    package static var databaseURL: String { get throws { try require("DATABASE_URL") } }

    package struct MissingService: Error, CustomStringConvertible {
        let variable: String
        package var description: String {
            "\(variable) is not set: run the integration tests through scripts/test, which starts Redis and PostgreSQL"
        }
    }
}

/// A new, empty database on the test PostgreSQL, for tests that need really fresh state.
package enum FreshDatabase {
    package static func create() async throws -> String {
        let base = try TestEnvironment.databaseURL
        let name = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = PostgresClient(configuration: try PostgresConfiguration(url: base, minConnections: 0))
        try await admin.execute("CREATE DATABASE \(name)")
        await admin.close()
        var components = URLComponents(string: base)!
        components.path = "/" + name
        return components.string!
    }
}

extension TestEnvironment {
    /// Every feature's Redis keys under one new prefix, so a test's server shares no Redis state.
    package static func isolatedRedisKeys() -> [String: String] {
        let key = "test:\(UUID().uuidString)"
        return [
            "FEATURES_USER_POINTS_REDIS_KEY": key + ":up", "FEATURES_PATH_STATS_REDIS_KEY": key + ":ps",
            "FEATURES_AREA_MODE_REDIS_PREFIX": key + ":am", "FEATURES_ACHIEVEMENT_LEVEL_REDIS_PREFIX": key + ":al",
            "FEATURES_PRODUCTS_ORDERS_REDIS_PREFIX": key + ":po",
        ]
    }

    /// A server with every feature this binary knows (`FEATURES` may narrow it), configured by
    /// `environment` on top of isolated Redis keys.
    package static func server(_ environment: [String: String]) async throws -> Switchyard {
        let reader = try await ConfigSources.reader(
            flags: [:], configFile: nil, environment: isolatedRedisKeys().merging(environment) { _, new in new })
        return try await Switchyard.build(settings: reader, knownFeatures: knownFeatures)
    }
}

extension TestEnvironment {
    /// Every feature on a new database, achievement-level calling an in-process users-API stub
    /// of 11 users; `environment` adds or overrides settings.
    package static func withEveryFeature(
        _ environment: [String: String] = [:], mode: HummingbirdTesting.TestingSetup = .router,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let stub = UsersAPIStub(.init(users: 11))
        let upstream = Application(router: stub.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let database = try await FreshDatabase.create()
        try await upstream.test(.live) { stubClient in
            let server = try await Self.server(
                [
                    "REDIS_URL": try Self.redisURL, "DATABASE_URL": database,
                    "USERS_API_URL": "http://127.0.0.1:\(stubClient.port!)/", "FEATURES_USER_POINTS_SEED_USERS": "1000",
                ].merging(environment) { _, new in new })
            try await server.application.test(mode, body)
        }
    }

    /// Creates a product through the API (201 expected).
    package static func createProduct(_ client: any TestClientProtocol, id: String, stock: Int) async throws {
        try await client.execute(
            uri: "/products-orders/products", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"id":"\#(id)","title":"t","passenger_capacity":1,"maximum_speed":1,"in_stock":\#(stock)}"#)
        ) { #expect($0.status == .created) }
    }
}

extension PostgresClient {
    /// Returns once a statement has been answered, so a test with a short `queryTimeout`
    /// measures its own statements and not a first connect that a loaded machine (or a pooler
    /// opening server sessions one at a time) made slow: a statement that waited for the
    /// connect past its deadline is tried again while the connect goes on. 60 s guards a hang.
    package func waitUntilConnected() async throws {
        let guardTime = ContinuousClock.now + .seconds(60)
        while true {
            do {
                _ = try await query("SELECT 1")
                return
            } catch let error as PostgresError where error.isUnavailable && ContinuousClock.now < guardTime {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import KnownFeatures
import SwitchyardHost
import SwitchyardJSON
import Synchronization
import Testing

/// Redis or PostgreSQL dies under mixed load: the routes that need it answer 503 JSON within
/// the command/acquire timeout, the others keep working, `/ready` names the one that is down,
/// and once it is back everything recovers within 5 s, with the same server.
@Suite(.serialized) struct FaultInjectionTests {
    struct Probe: Sendable {
        let method: HTTPRequest.Method
        let uri: String
        let body: String?
        let needsRedis: Bool
        let needsPostgres: Bool
    }

    static let probes: [Probe] = [
        Probe(method: .get, uri: "/path-stats/api/fault/x/", body: nil, needsRedis: true, needsPostgres: false),
        Probe(method: .get, uri: "/path-stats/stats/?limit=5", body: nil, needsRedis: true, needsPostgres: false),
        Probe(method: .get, uri: "/user-points/", body: nil, needsRedis: true, needsPostgres: false),
        Probe(method: .get, uri: "/user-points/state", body: nil, needsRedis: false, needsPostgres: true),
        Probe(method: .get, uri: "/area-mode/areas", body: nil, needsRedis: false, needsPostgres: true),
        Probe(method: .get, uri: "/products-orders/products/fault", body: nil, needsRedis: true, needsPostgres: false),
        Probe(
            method: .post, uri: "/products-orders/orders",
            body: #"{"order_details":[{"product_id":"fault","price":"1","quantity":1}]}"#, needsRedis: true, needsPostgres: true),
    ]

    func withServer(
        redisURL: String, databaseURL: String, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let server = try await TestEnvironment.server([
            "REDIS_URL": redisURL, "DATABASE_URL": databaseURL, "REDIS_COMMAND_TIMEOUT": "1",
            "POSTGRES_ACQUIRE_TIMEOUT": "1", "FEATURES": "path-stats,area-mode,user-points,products-orders",
            "FEATURES_USER_POINTS_SEED_USERS": "100",
        ])
        try await server.application.test(.router) { client in
            try await TestEnvironment.createProduct(client, id: "fault", stock: 1_000_000)
            try await body(client)
        }
    }

    /// Every probe once, concurrently: status and seconds taken.
    static func round(_ client: any TestClientProtocol) async throws -> [(Probe, HTTPResponse.Status, Duration, JSONValue?)] {
        try await withThrowingTaskGroup(of: (Probe, HTTPResponse.Status, Duration, JSONValue?).self) { group in
            for probe in probes {
                group.addTask {
                    let start = ContinuousClock.now
                    return try await client.execute(
                        uri: probe.uri, method: probe.method,
                        headers: probe.body == nil ? [:] : [.contentType: "application/json"],
                        body: probe.body.map { ByteBuffer(string: $0) }
                    ) { response in
                        (probe, response.status, ContinuousClock.now - start, try? JSONValue(parsing: Array(response.body.readableBytesView)))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Polls every probe until all answer 2xx; returns how long that took.
    static func recovery(_ client: any TestClientProtocol) async throws -> Duration {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(15) {
            let failing = try await round(client).filter { !(200..<300).contains($0.1.code) }
            if failing.isEmpty { break }
            if ContinuousClock.now - start > .seconds(5) {
                let report = failing.map { "\($0.0.uri) \($0.1) \(String(decoding: $0.3?.encoded() ?? [], as: UTF8.self))" }
                Issue.record(Comment(rawValue: "still failing: " + report.joined(separator: "; ")))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return ContinuousClock.now - start
    }

    static func readyProblem(_ client: any TestClientProtocol) async throws -> (HTTPResponse.Status, [String]) {
        try await client.execute(uri: "/ready", method: .get) { response in
            let body = try? JSONValue(parsing: Array(response.body.readableBytesView))
            return (response.status, body?["details"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        }
    }

    func checkOutage(_ client: any TestClientProtocol, down: String, isDown: (Probe) -> Bool) async throws {
        // Mixed load for 2 s while the dependency is down.
        let stop = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < stop {
            for (probe, status, took, body) in try await Self.round(client) {
                if isDown(probe) {
                    #expect(status == .serviceUnavailable, "\(probe.uri) with \(down) down")
                    #expect(body?["error"] == "DEPENDENCY_UNAVAILABLE", "\(probe.uri)")
                } else {
                    #expect((200..<300).contains(status.code), "\(probe.uri) with \(down) down: \(status)")
                }
                // Timeouts are 1 s; 5 s allows for a loaded machine and still rules out hanging.
                #expect(took < .seconds(5), "\(probe.uri) took \(took)")
            }
        }
        let (status, problems) = try await Self.readyProblem(client)
        #expect(status == .serviceUnavailable)
        #expect(problems == [down])
    }

    @Test func redisDiesAndComesBack() async throws {
        // Durable like a production catalogue's Redis: the data must survive the SIGKILL.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let redis = RedisProcess(arguments: ["--appendonly", "yes", "--appendfsync", "always", "--dir", directory.path])
        try await redis.start()
        try await withServer(redisURL: redis.url, databaseURL: try await FreshDatabase.create()) { client in
            #expect(try await Self.recovery(client) < .seconds(5))
            await redis.kill()
            try await checkOutage(client, down: "redis", isDown: \.needsRedis)
            try await redis.start()
            #expect(try await Self.recovery(client) < .seconds(5))
            #expect(try await Self.readyProblem(client).0 == .ok)
        }
        await redis.kill()
    }

    @Test func postgresDiesAndComesBack() async throws {
        let postgres = try PostgresProcess()
        defer { postgres.destroy() }
        try await postgres.start()
        try await withServer(redisURL: try TestEnvironment.redisURL, databaseURL: postgres.url) { client in
            #expect(try await Self.recovery(client) < .seconds(5))
            try await postgres.crash()
            try await checkOutage(client, down: "postgres", isDown: \.needsPostgres)
            try await postgres.start()
            #expect(try await Self.recovery(client) < .seconds(5))
            #expect(try await Self.readyProblem(client).0 == .ok)
        }
    }
}

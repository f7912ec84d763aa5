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
enum TestEnvironment {
    static func require(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw MissingService(variable: name)
        }
        return value
    }

    static var redisURL: String { get throws { try require("REDIS_URL") } }
    static var databaseURL: String { get throws { try require("DATABASE_URL") } }

    struct MissingService: Error, CustomStringConvertible {
        let variable: String
        var description: String {
            "\(variable) is not set: run the integration tests through scripts/test, which starts Redis and PostgreSQL"
        }
    }
}

/// A new, empty database on the test PostgreSQL, for tests that need really fresh state.
enum FreshDatabase {
    static func create() async throws -> String {
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

/// A private redis-server on its own port, for tests that kill, restart or reconfigure it.
final class RedisProcess: @unchecked Sendable {
    let port: Int
    private let arguments: [String]
    private var process: Process?

    init(arguments: [String] = []) {
        port = TestPorts.take()
        self.arguments = arguments
    }

    /// TLS only, on `port`, with the test CA's server certificate.
    convenience init(tls certificates: TestCertificates, requireClientCertificate: Bool) {
        self.init(arguments: [
            "--tls-cert-file", certificates.serverCertificateFile, "--tls-key-file", certificates.serverKeyFile,
            "--tls-ca-cert-file", certificates.caFile, "--tls-auth-clients", requireClientCertificate ? "yes" : "no",
        ])
        tlsOnly = true
    }

    private var tlsOnly = false

    var url: String { "redis://127.0.0.1:\(port)/0" }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        let ports = tlsOnly ? ["--port", "0", "--tls-port", "\(port)"] : ["--port", "\(port)"]
        process.arguments = ports + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try await waitUntilAccepting()
    }

    /// SIGKILL: the connection drops with no goodbye, as in a crash. The wait for the exit (the
    /// port is free after it) blocks, so it runs off the cooperative pool.
    func kill() async {
        guard let process else { return }
        self.process = nil
        Foundation.kill(process.processIdentifier, SIGKILL)
        let exited = UnsafeSendable(process)
        _ = try? await ChildProcess.offThePool { exited.value.waitUntilExit() }
    }

    deinit {
        if let process { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// Up to 20 s: the whole suite shares two cores, and a busy machine starts processes slowly.
    private func waitUntilAccepting() async throws {
        for _ in 0..<400 {
            if canConnect() { return }
            if let process, !process.isRunning {
                throw StartFailure(reason: "redis-server exited with status \(process.terminationStatus) (port \(port) taken?)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StartFailure(reason: "redis-server did not accept connections on port \(port) within 20 s")
    }

    struct StartFailure: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    private func canConnect() -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

extension TestEnvironment {
    /// Every feature's Redis keys under one new prefix, so a test's server shares no Redis state.
    static func isolatedRedisKeys() -> [String: String] {
        let key = "test:\(UUID().uuidString)"
        return [
            "FEATURES_USER_POINTS_REDIS_KEY": key + ":up", "FEATURES_PATH_STATS_REDIS_KEY": key + ":ps",
            "FEATURES_AREA_MODE_REDIS_PREFIX": key + ":am", "FEATURES_ACHIEVEMENT_LEVEL_REDIS_PREFIX": key + ":al",
            "FEATURES_PRODUCTS_ORDERS_REDIS_PREFIX": key + ":po",
        ]
    }

    /// A server with every feature this binary knows (`FEATURES` may narrow it), configured by
    /// `environment` on top of isolated Redis keys.
    static func server(_ environment: [String: String]) async throws -> Switchyard {
        let reader = try await ConfigSources.reader(
            flags: [:], configFile: nil, environment: isolatedRedisKeys().merging(environment) { _, new in new })
        return try await Switchyard.build(settings: reader, knownFeatures: knownFeatures)
    }
}

extension TestEnvironment {
    /// Every feature on a new database, achievement-level calling an in-process users-API stub
    /// of 11 users; `environment` adds or overrides settings.
    static func withEveryFeature(
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
    static func createProduct(_ client: any TestClientProtocol, id: String, stock: Int) async throws {
        try await client.execute(
            uri: "/products-orders/products", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"id":"\#(id)","title":"t","passenger_capacity":1,"maximum_speed":1,"in_stock":\#(stock)}"#)
        ) { #expect($0.status == .created) }
    }
}

import FeatureKit
import Foundation
import Testing

@testable import SwitchyardHost

@Suite struct ConfigurationTests {
    @Test func defaultsApplyWithNoSource() async throws {
        let server = try await makeServer()
        #expect(server.settings.host == "127.0.0.1")
        #expect(server.settings.port == 8080)
        #expect(server.settings.maxBodySize == 1 << 20)
        #expect(server.settings.enabledFeatures.map { $0.id } == ["echo"])
        #expect(server.settings.prefixes["echo"] == "/echo")
        #expect(server.settings.adminToken == nil)
    }

    @Test func precedenceIsFileThenEnvironmentThenFlags() async throws {
        let file = try temporaryFile(#"{"http": {"port": 7001, "host": "10.0.0.1", "max-body-size": 4096}}"#)
        let fromFile = try await makeServer(configFile: file)
        #expect(fromFile.settings.port == 7001)
        #expect(fromFile.settings.host == "10.0.0.1")
        #expect(fromFile.settings.maxBodySize == 4096)

        let fromEnvironment = try await makeServer(environment: ["HTTP_PORT": "7002"], configFile: file)
        #expect(fromEnvironment.settings.port == 7002)
        #expect(fromEnvironment.settings.host == "10.0.0.1")

        let fromFlags = try await makeServer(
            flags: ["http.port": "7003"], environment: ["HTTP_PORT": "7002"], configFile: file)
        #expect(fromFlags.settings.port == 7003)
    }

    @Test func shortEnvironmentNamesMapOntoTheirKeys() async throws {
        let server = try await makeServer(
            environment: [
                "FEATURES": "none", "ADMIN_TOKEN": "s3cret",
                "DATABASE_URL": "postgres://u:p@db.example:5433/app",
            ])
        #expect(server.settings.enabledFeatures.isEmpty)
        #expect(server.settings.adminToken == "s3cret")
        #expect(server.settings.postgres.url == "postgres://u:p@db.example:5433/app")
    }

    @Test func featureKeysReachTheFeatureThroughTheirEnvironmentName() async throws {
        let server = try await makeServer(
            environment: ["FEATURES_ECHO_GREETING": "hi", "FEATURES_ECHO_PREFIX": "/talk/"])
        #expect(server.settings.prefixes["echo"] == "/talk")
        try await server.application.test(.router) { client in
            try await client.execute(uri: "/talk/items/7", method: .get) { response in
                #expect(response.json == ["id": "7", "greeting": "hi"])
            }
        }
    }

    @Test(arguments: [
        (["HTTP_PORT": "abc"], "http.port: 'abc' is not an integer"),
        (["HTTP_PORT": "70000"], "http.port: 70000 is out of range 0...65535"),
        (["FEATURES": "echo,nope"], "features.enabled: unknown feature 'nope' (known: all, none, echo)"),
        (
            ["REDIS_URL": "localhost:6379"],
            "redis.url: invalid Redis URL: expected redis://[user:password@]host:port/db, rediss://... for TLS, or redis+cluster://host:port[,host:port...]"
        ),
        (["DATABASE_URL": "mysql://x@y/z"], #"postgres.url: invalid PostgreSQL URL: missing "=" after "(redacted)" in connection info string"#),
        (["DATABASE_URL": "postgres://db/app?colour=red"], #"postgres.url: invalid PostgreSQL URL: invalid URI query parameter: "colour""#),
        (
            ["REDIS_URL": "redis://cache/0", "REDIS_TLS_CA_FILE": "/ca.pem"],
            "redis.url: invalid Redis URL: TLS options are set but the URL is redis://; use rediss:// for TLS"
        ),
        (["HTTP_MAX_BODY_SIZE": "10"], "http.max-body-size: 10 is out of range 1024...67108864"),
        (["HTTP_SHUTDOWN_TIMEOUT": "soon"], "http.shutdown-timeout: 'soon' is not a number of seconds"),
        (["FEATURES_ECHO_PREFIX": "no-slash"], "features.echo.prefix: 'no-slash' must be a path like /echo or /"),
    ])
    func badValuesStopStartupNamingTheKey(environment: [String: String], message: String) async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await makeServer(environment: environment)
        }
        #expect(error?.description == "configuration error: \(message)")
    }

    @Test func apiProfileIsSwitchyardUnlessSetAndRefusesOtherNames() async throws {
        func profile(_ environment: [String: String]) async throws -> APIProfile {
            let settings = try await ConfigSources.reader(flags: [:], configFile: nil, environment: environment)
            return try settings.scoped("features").scoped("achievement-level").apiProfile()
        }
        #expect(try await profile([:]) == .switchyard)
        #expect(try await profile(["FEATURES_ACHIEVEMENT_LEVEL_API": "Original"]) == .original)
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await profile(["FEATURES_ACHIEVEMENT_LEVEL_API": "flask"])
        }
        #expect(error?.description == "configuration error: features.achievement-level.api: 'flask' is not switchyard or original")
    }

    @Test func credentialsNeverAppearInTheURLError() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await makeServer(environment: ["DATABASE_URL": "postgres//user:hunter2@db"])
        }
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func missingConfigFileIsAStartupError() async throws {
        let error = await #expect(throws: ConfigurationError.self) {
            _ = try await makeServer(configFile: "/nonexistent/switchyard.json")
        }
        #expect(error?.key == "--config")
    }
}

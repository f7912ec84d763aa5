import FeatureKit
import Foundation
import HTTPClient
import IntegrationSupport
import SwitchyardJSON
import Testing

/// The real binary with wrong passwords (with reserved characters, percent-encoded): the
/// password shows up neither in an answer nor in the log, and the error names the dependency.
@Suite struct WrongCredentialsTests {
    static func encode(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

    static func expectNoSecret(_ secret: String, in texts: [String]) {
        for text in texts {
            for form in [secret, encode(secret)] { #expect(!text.contains(form), "password shown in: \(text)") }
        }
    }

    /// Redis is not needed to start: the server serves, and Redis routes answer 503.
    @Test func wrongRedisPasswordIs503() async throws {
        let redis = RedisProcess(arguments: ["--requirepass", "the-right-one"])
        try await redis.start()
        let password = "wr0ng:r3dis@pass"
        let client = HTTPClient()
        let server = try await ServerBinary(
            environment: [
                "REDIS_URL": "redis://:\(Self.encode(password))@127.0.0.1:\(redis.port)/0",
                "FEATURES": "path-stats", "LOG_LEVEL": "debug",
            ], client: client)

        let response = try await client.get(server.base + "/path-stats/api/x/")
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(response.status == 503, "\(body)")
        let json = try JSONValue(parsing: response.body)
        #expect(json["error"]?.stringValue == "DEPENDENCY_UNAVAILABLE")
        #expect(json["message"]?.stringValue?.contains("Redis") == true, "\(body)")
        let ready = try await client.get(server.base + "/ready")
        let readyBody = String(decoding: ready.body, as: UTF8.self)
        #expect(ready.status == 503)
        // The public answer names Redis; why it is unreachable is the log's to say.
        #expect(readyBody.contains(#""field":"redis""#) && !readyBody.contains("authentication"), "\(readyBody)")

        #expect(await server.terminate() == 0)
        #expect(server.log.contains("authentication failed"), "the log says why: \(server.log)")
        Self.expectNoSecret(password, in: [body, readyBody, server.log])
        await client.shutdown()
        await redis.kill()
    }

    /// Migrations run at startup, so a PostgreSQL it cannot log in to stops startup with one
    /// line that names it.
    @Test func wrongPostgresPasswordStopsStartupSayingWhy() async throws {
        let postgres = try PostgresProcess(hostAuthentication: "scram-sha-256")
        defer { postgres.destroy() }
        try await postgres.start()
        let password = "wr0ng/pg#pass"
        let client = HTTPClient()
        let failure = await #expect(throws: ServerBinary.StartFailure.self) {
            _ = try await ServerBinary(
                environment: [
                    "DATABASE_URL": "postgres://postgres:\(Self.encode(password))@127.0.0.1:\(postgres.port)/postgres",
                    "FEATURES": "area-mode", "LOG_LEVEL": "debug",
                ], client: client)
        }
        #expect(failure?.status.map { $0 != 0 } == true, "it exits, with a failure status")
        let log = failure?.log ?? ""
        #expect(log.contains("PostgreSQL unavailable") && log.contains("password authentication failed"), "\(log)")
        Self.expectNoSecret(password, in: [log])
        await client.shutdown()
    }
}

import Foundation
import IntegrationSupport
import Postgres
import Testing

/// Connection strings as deployments write them, against private PostgreSQL servers: a Unix
/// socket, TLS with `sslmode=verify-full`, a password with reserved characters, parameters of
/// the string's own next to the session settings the client adds.
@Suite struct PostgresConnectionSetupTests {
    /// One answer over a fresh client, which is closed afterwards.
    static func scalar(_ url: String, _ sql: String) async throws -> String {
        let client = PostgresClient(configuration: try PostgresConfiguration(url: url, minConnections: 0))
        defer { Task { await client.close() } }
        // Both paths: the pipelined connections and a pooled one.
        let pipelined = try await client.query(sql).first!.decode(String.self, at: 0)
        let pooled = try await client.transaction { try await $0.query(sql).first!.decode(String.self, at: 0) }
        #expect(pipelined == pooled)
        return pipelined
    }

    @Test func unixSocketAndTheStringsOwnParameters() async throws {
        let server = try PostgresProcess()
        defer { server.destroy() }
        try await server.start()
        #expect(try await Self.scalar(server.socketURL, "SELECT coalesce(inet_client_addr()::text, 'unix socket')") == "unix socket")
        // The string's application_name and options win over, or join, the client's own.
        let tuned = server.socketURL + "&application_name=billing&options=-c%20search_path%3Dbilling"
        #expect(try await Self.scalar(tuned, "SELECT current_setting('application_name')") == "billing")
        #expect(try await Self.scalar(tuned, "SELECT current_setting('search_path')") == "billing")
        #expect(try await Self.scalar(tuned, "SELECT current_setting('TimeZone')") == "UTC")
        // The key=value form, and several hosts of which the first is down.
        let keywords = "host=\(server.directory) port=\(server.port) user=postgres dbname=postgres"
        #expect(try await Self.scalar(keywords, "SELECT 'ok'") == "ok")
        let failover = "postgres://postgres@127.0.0.1:1,127.0.0.1:\(server.port)/postgres"
        #expect(try await Self.scalar(failover, "SELECT 'ok'") == "ok")
    }

    @Test func tlsWithFullVerification() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let server = try PostgresProcess(tls: certificates)
        defer { server.destroy() }
        try await server.start()
        let base = "postgres://postgres@localhost:\(server.port)/postgres"
        let verified = base + "?sslmode=verify-full&sslrootcert=\(certificates.caFile)"
        #expect(try await Self.scalar(verified, "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "true")

        // A name the certificate does not carry, and a CA that did not sign it, are refused.
        let other = try await TestCertificates.make()
        defer { other.remove() }
        for url in [
            "host=elsewhere.test hostaddr=127.0.0.1 port=\(server.port) user=postgres sslmode=verify-full sslrootcert=\(certificates.caFile)",
            base + "?sslmode=verify-full&sslrootcert=\(other.caFile)",
        ] {
            let client = PostgresClient(configuration: try PostgresConfiguration(url: url, minConnections: 0))
            let error = await #expect(throws: PostgresError.self) { try await client.query("SELECT 1") }
            #expect(error?.isUnavailable == true)
            await client.close()
        }
    }

    @Test func passwordWithReservedCharacters() async throws {
        let server = try PostgresProcess(hostAuthentication: "scram-sha-256")
        defer { server.destroy() }
        try await server.start()
        let password = "p@ss:w/rd#?%&'"
        let admin = PostgresClient(configuration: try PostgresConfiguration(url: server.socketURL, minConnections: 0))
        try await admin.execute("CREATE ROLE app LOGIN PASSWORD '\(password.replacingOccurrences(of: "'", with: "''"))'")
        await admin.close()

        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(try await Self.scalar("postgres://app:\(encoded)@127.0.0.1:\(server.port)/postgres", "SELECT current_user::text") == "app")
        let quoted = password.replacingOccurrences(of: "'", with: "\\'")
        #expect(try await Self.scalar("host=127.0.0.1 port=\(server.port) dbname=postgres user=app password='\(quoted)'", "SELECT 'ok'") == "ok")

        let wrong = PostgresClient(
            configuration: try PostgresConfiguration(url: "postgres://app:not-\(encoded)@127.0.0.1:\(server.port)/postgres", minConnections: 0))
        let error = await #expect(throws: PostgresError.self) { try await wrong.query("SELECT 1") }
        #expect(error?.isUnavailable == true)
        #expect(error?.description.contains("password authentication failed") == true, "\(String(describing: error))")
        #expect(error?.description.contains("p@ss") == false)
        await wrong.close()
    }
}

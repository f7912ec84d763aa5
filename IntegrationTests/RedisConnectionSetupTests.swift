import Foundation
import NIOCore
import Testing

@testable import Redis

/// How connections to Redis are set up: socket options as the kernel reports them, TLS with
/// verified certificates (CA file, client certificate, server name), passwords with reserved
/// characters.
@Suite struct RedisConnectionSetupTests {
    @Test func nagleIsOffAndSocketDebuggingIsNotOn() async throws {
        let client = RedisClient(configuration: try RedisConfiguration(url: try TestEnvironment.redisURL, connections: 1))
        #expect(try await client.send("PING") == .status("PONG"))
        let channel = try await client.connections[0].channel()
        // Both read back with getsockopt on the live socket.
        let noDelay = try await channel.getOption(.tcpOption(.tcp_nodelay)).get()
        let debug = try await channel.getOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_DEBUG))).get()
        #expect(noDelay != 0)
        #expect(debug == 0)
        await client.close()
    }

    @Test func passwordWithReservedCharactersInTheURL() async throws {
        let password = "p@ss:w/rd#?%&"
        let server = RedisProcess(arguments: ["--requirepass", password])
        try await server.start()
        let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let client = RedisClient(configuration: try RedisConfiguration(url: "redis://:\(encoded)@127.0.0.1:\(server.port)/2"))
        #expect(try await client.send("PING") == .status("PONG"))
        await client.close()
    }

    @Test func tlsWithACAFile() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let server = RedisProcess(tls: certificates, requireClientCertificate: false)
        try await server.start()

        let client = RedisClient(
            configuration: try RedisConfiguration(
                url: "rediss://localhost:\(server.port)/0", tlsOptions: .init(caFile: certificates.caFile)))
        try await client.send("SET", "tls-key", "over TLS")
        #expect(try await client.get("tls-key") == Array("over TLS".utf8))
        #expect(try await client.send("INFO", "server").string?.contains("redis_version") == true)
        await client.close()

        // The name checked and sent can differ from the address dialled.
        let named = RedisClient(
            configuration: try RedisConfiguration(
                url: "rediss://127.0.0.1:\(server.port)/0", tlsOptions: .init(caFile: certificates.caFile, serverName: "cache.test")))
        #expect(try await named.send("PING") == .status("PONG"))
        await named.close()
    }

    @Test func tlsRefusesAServerItCannotVerify() async throws {
        let certificates = try await TestCertificates.make()
        let other = try await TestCertificates.make()
        defer {
            certificates.remove()
            other.remove()
        }
        let server = RedisProcess(tls: certificates, requireClientCertificate: false)
        try await server.start()
        // Another CA; the right CA but a name the certificate does not carry; an address it does not carry.
        let refused = [
            RedisTLSOptions(caFile: other.caFile), RedisTLSOptions(caFile: certificates.caFile, serverName: "elsewhere.test"),
            RedisTLSOptions(caFile: certificates.caFile),
        ]
        for options in refused {
            let client = RedisClient(configuration: try RedisConfiguration(url: "rediss://127.0.0.1:\(server.port)/0", tlsOptions: options))
            let error = await #expect(throws: RedisError.self, "\(options)") { try await client.send("PING") }
            #expect(error?.isUnavailable == true)
            await client.close()
        }
        // Plain RESP to a TLS port gets no answer it can use.
        let plain = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:\(server.port)/0", commandTimeout: .milliseconds(500)))
        await #expect(throws: RedisError.self) { try await plain.send("PING") }
        await plain.close()
    }

    @Test func tlsWithAClientCertificate() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let server = RedisProcess(tls: certificates, requireClientCertificate: true)
        try await server.start()
        let url = "rediss://localhost:\(server.port)/0"

        let withCertificate = RedisClient(
            configuration: try RedisConfiguration(
                url: url,
                tlsOptions: .init(
                    caFile: certificates.caFile, certificateFile: certificates.clientCertificateFile,
                    keyFile: certificates.clientKeyFile)))
        #expect(try await withCertificate.send("PING") == .status("PONG"))
        await withCertificate.close()

        let without = RedisClient(configuration: try RedisConfiguration(url: url, tlsOptions: .init(caFile: certificates.caFile)))
        let error = await #expect(throws: RedisError.self) { try await without.send("PING") }
        #expect(error?.isUnavailable == true)
        await without.close()
    }
}

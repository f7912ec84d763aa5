import Foundation
import IntegrationSupport
import NIOCore
import Testing

@testable import Redis

/// How connections to Redis are set up: socket options as the kernel reports them, TLS with
/// verified certificates (CA file, client certificate, server name), passwords with reserved
/// characters.
@Suite struct RedisConnectionSetupTests {
    /// On a server of its own: every connection, standalone or to a cluster's node, is made
    /// the same way, and this one is reachable as `connections[0]`.
    @Test func nagleIsOffAndSocketDebuggingIsNotOn() async throws {
        let server = RedisProcess()
        try await server.start()
        defer { server.signal(SIGKILL) }
        let client = RedisClient(configuration: try RedisConfiguration(url: server.url, connections: 1))
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

/// A server that accepts and drops every connection at once: the client backs off (50 ms,
/// doubling to 1 s) instead of reconnecting every 50 ms because each connect "succeeded".
/// It waits for the connections themselves, so a slow machine only makes it take longer.
@Suite struct RedisReconnectBackoffTests {
    @Test func acceptThenCloseIsNotHammered() async throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                guard bind(listener, $0, length) == 0, listen(listener, 64) == 0, getsockname(listener, $0, &length) == 0 else {
                    throw POSIXError(.EADDRINUSE)
                }
            }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        // Accept and close six connections on a thread of its own, noting when each came.
        let accepted = try await ChildProcess.offThePool { () -> [Date] in
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let client = RedisClient(configuration: try RedisConfiguration(url: "redis://127.0.0.1:\(port)/0", connections: 1))
            let pinger = Task {
                while !Task.isCancelled {
                    _ = try? await client.send("PING")
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            var times: [Date] = []
            let hangGuard = Date().addingTimeInterval(60)
            while times.count < 6, Date() < hangGuard {
                let connection = accept(listener, nil, nil)
                if connection >= 0 {
                    times.append(Date())
                    close(connection)
                }
            }
            pinger.cancel()
            return times
        }
        // It keeps reconnecting, and five waits doubling from 50 ms (half to all of each, for
        // jitter) take at least 775 ms; without backoff five reconnects took about 250 ms.
        try #require(accepted.count == 6, "only \(accepted.count) connections in 60 s")
        let spread = accepted[5].timeIntervalSince(accepted[0])
        #expect(spread >= 0.7, "six connections within \(spread) s")
    }
}

import FeatureKit
import Foundation
import HTTPClient
import Postgres
import Redis
import Testing

/// Making the shared clients connects nothing: connections start when the service group runs
/// (`SharedInfrastructure.start`) or on first use.
@Suite struct ClientConstructionTests {
    /// A listening socket nobody accepts from: a client's connection attempt waits in its backlog.
    final class Listener {
        let socket: Int32
        let port: Int

        init() throws {
            let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.socket = socket
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(socket, pointer, length) == 0 && listen(socket, 16) == 0 && getsockname(socket, pointer, &length) == 0
                }
            }
            guard bound else { throw POSIXError(.EADDRINUSE) }
            _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK)
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        /// True when a connection is waiting (it is then accepted and closed).
        func hasConnection() -> Bool {
            let accepted = accept(socket, nil, nil)
            guard accepted >= 0 else { return false }
            close(accepted)
            return true
        }

        deinit { close(socket) }
    }

    @Test func makingTheClientsConnectsNothingAndStartDoes() async throws {
        let listener = try Listener()
        let infrastructure = SharedInfrastructure(
            redis: try RedisConfiguration(url: "redis://127.0.0.1:\(listener.port)/0"),
            postgres: try PostgresConfiguration(url: "postgres://x@127.0.0.1:\(listener.port)/db", minConnections: 1),
            http: HTTPClientConfiguration())
        _ = (infrastructure.redis(), infrastructure.postgres(), infrastructure.http())
        try await Task.sleep(for: .milliseconds(300))
        #expect(!listener.hasConnection())

        let starting = Task { await infrastructure.start() }
        var connected = false
        for _ in 0..<500 where !connected {  // up to 10 s, a hang guard
            connected = listener.hasConnection()
            if !connected { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(connected)
        starting.cancel()
        await infrastructure.close()
    }
}

import Foundation
import Testing

@testable import SwitchyardHost

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Clients that send half a request, or nothing, lose their connection after `http.idle-timeout`,
/// while `/health` keeps answering everyone else.
@Suite struct SlowClientTests {
    /// A raw TCP client: connects, writes `bytes`, then reads until the server closes (true) or
    /// `guardTime` passes (false).
    static func closedByServer(port: Int, sending bytes: String, guardTime: Duration) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(socket) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { return continuation.resume(throwing: POSIXError(.ECONNREFUSED)) }
                _ = bytes.withCString { send(socket, $0, strlen($0), 0) }
                var timeout = timeval(tv_sec: Int(guardTime / .seconds(1)), tv_usec: 0)
                setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = recv(socket, &buffer, buffer.count, 0)
                    if count == 0 { return continuation.resume(returning: true) }  // orderly close
                    if count < 0 { return continuation.resume(returning: errno == ECONNRESET) }  // timed out: still open
                }
            }.start()
        }
    }

    @Test func halfSentRequestsAreCutOffAfterTheIdleTimeout() async throws {
        let (ports, portStream) = AsyncStream.makeStream(of: Int.self)
        let settings = try await ConfigSources.reader(
            flags: ["http.port": "0"], configFile: nil, environment: ["HTTP_IDLE_TIMEOUT": "0.5"])
        let server = try await Switchyard.build(
            settings: settings, knownFeatures: [EchoFeature.self],
            onServerRunning: { channel in portStream.yield(channel.localAddress?.port ?? 0) })
        let group = server.serviceGroup(gracefulShutdownSignals: [])
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            // Half a request line, half the headers, and nothing at all: each closed by the server
            // (the 20 s guard is far beyond the 0.5 s timeout).
            async let line = Self.closedByServer(port: port, sending: "GET /hea", guardTime: .seconds(20))
            async let headers = Self.closedByServer(port: port, sending: "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", guardTime: .seconds(20))
            async let silent = Self.closedByServer(port: port, sending: "", guardTime: .seconds(20))
            #expect(try await [line, headers, silent] == [true, true, true])
            // Meanwhile and afterwards, everyone else is served.
            let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200 && !data.isEmpty)
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }
}

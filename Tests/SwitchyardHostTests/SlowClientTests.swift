import FeatureTesting
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
        try await exchange(port: port, sending: Array(bytes.utf8), guardTime: guardTime).closed
    }

    /// Sends `bytes`, keeps the connection open without sending more (or, with `halfClose`, ends
    /// its sending side), and reads what comes back until the server closes it (`closed`) or
    /// `guardTime` passes.
    static func exchange(
        port: Int, sending bytes: [UInt8], halfClose: Bool = false, guardTime: Duration
    ) async throws -> (closed: Bool, received: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                guard let socket = connectToLoopback(port: port) else { return continuation.resume(throwing: POSIXError(.ECONNREFUSED)) }
                defer { close(socket) }
                var sent = 0
                while sent < bytes.count {
                    let count = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if count <= 0 { break }  // the server stopped reading: what it answered is what counts
                    sent += count
                }
                if halfClose { shutdown(socket, Int32(SHUT_WR)) }
                var timeout = timeval(tv_sec: Int(guardTime / .seconds(1)), tv_usec: 0)
                setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4096)
                var received: [UInt8] = []
                while true {
                    let count = recv(socket, &buffer, buffer.count, 0)
                    let text = String(decoding: received, as: UTF8.self)
                    if count == 0 { return continuation.resume(returning: (true, text)) }  // orderly close
                    if count < 0 { return continuation.resume(returning: (errno == ECONNRESET, text)) }  // timed out: still open
                    received += buffer[0..<count]
                }
            }.start()
        }
    }

    /// A client announcing 10 MiB, sending 2 MiB and then waiting gets its 413 and then the end
    /// of the connection, instead of a server waiting for the rest of a body it will not read.
    @Test func anOversizedBodyGets413AndTheEnd() async throws {
        try await makeServer().application.test(.live) { client in
            let head = "POST /echo/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(10 << 20)\r\n\r\n"
            let (closed, received) = try await Self.exchange(
                port: client.port!, sending: Array(head.utf8) + [UInt8](repeating: 0x20, count: 2 << 20), guardTime: .seconds(20))
            #expect(received.hasPrefix("HTTP/1.1 413"), "\(received.prefix(200))")
            #expect(received.contains("PAYLOAD_TOO_LARGE"))
            #expect(closed, "the server kept the connection open")
        }
    }

    @Test func halfSentRequestsAreCutOffAfterTheIdleTimeout() async throws {
        try await withRunningServer(environment: ["HTTP_IDLE_TIMEOUT": "0.5"]) { port, group in
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
        }
    }

    /// 500 connections that never send a byte cost the others nothing: `/health` keeps answering
    /// meanwhile, the fastest of five calls in under a second (normally a millisecond or two;
    /// each call's own 10 s is only a hang guard, as the suite shares two cores with others).
    @Test func fiveHundredIdleConnectionsDoNotStopHealth() async throws {
        try await withRunningServer(environment: [:]) { port, group in
            let idle = try await Self.openIdleConnections(500, port: port)
            defer { idle.forEach { close($0) } }
            var fastest = Duration.seconds(10)
            for _ in 0..<5 {
                let started = ContinuousClock.now
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/health")!)
                request.timeoutInterval = 10
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200)
                fastest = min(fastest, ContinuousClock.now - started)
            }
            #expect(fastest < .seconds(1))
            await group.triggerGracefulShutdown()
        }
    }

    /// `count` connected sockets that send nothing, opened off the cooperative pool.
    static func openIdleConnections(_ count: Int, port: Int) async throws -> [Int32] {
        // Both ends live in this process: make room for them under the descriptor limit.
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, 4096))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                var descriptors: [Int32] = []
                for _ in 0..<count {
                    guard let descriptor = connectToLoopback(port: port) else {
                        descriptors.forEach { close($0) }
                        return continuation.resume(throwing: POSIXError(.ECONNREFUSED))
                    }
                    descriptors.append(descriptor)
                }
                continuation.resume(returning: descriptors)
            }.start()
        }
    }
}

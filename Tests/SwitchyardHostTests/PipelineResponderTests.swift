import FeatureTesting
import Foundation
import SwitchyardCore
import Testing

@testable import SwitchyardHost

/// Requests without a body are answered from the channel pipeline, the others by Hummingbird:
/// whatever mix a client pipelines on one connection, the answers come back in its order, and
/// an answer still on its way survives the client closing its sending side.
@Suite struct PipelineResponderTests {
    static func request(_ method: String, _ path: String, _ extra: String = "", body: String = "") -> String {
        let length = body.isEmpty ? "" : "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        return "\(method) \(path) HTTP/1.1\r\nHost: x\r\n\(length)\(extra)\r\n\(body)"
    }

    @Test func pipelinedAnswersKeepTheirOrder() async throws {
        try await withRunningServer(environment: [:]) { port, group in
            let requests = [
                Self.request("GET", "/echo/slow"),
                Self.request("POST", "/echo/items", body: #"{"name":"pen","quantity":2}"#),
                Self.request("GET", "/echo/items/a"),
                Self.request("POST", "/echo/items", body: #"{"name":""}"#),
                Self.request("GET", "/echo/stream"),
                Self.request("HEAD", "/health"),
                Self.request("GET", "/health"),
                Self.request("GET", "/echo/items/b", "Connection: close\r\n"),
            ]
            let (closed, received) = try await SlowClientTests.exchange(
                port: port, sending: Array(requests.joined().utf8), guardTime: .seconds(30))
            let statuses = received.matches(of: /HTTP\/1\.1 \d{3}/).map { String($0.output) }
            #expect(
                statuses == [
                    "HTTP/1.1 200", "HTTP/1.1 201", "HTTP/1.1 200", "HTTP/1.1 400", "HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 200",
                ])
            let markers = [#"{"slow":true}"#, #""quantity":2"#, #""id":"a""#, "VALIDATION_ERROR", "1\r\n]\r\n", #"{"status":"ok"}"#, #""id":"b""#]
            let positions = markers.map { received.range(of: $0)?.lowerBound }
            #expect(!positions.contains(nil), "\(received)")
            #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted(), "\(received)")
            #expect(closed, "the connection stayed open after Connection: close")
            await group.triggerGracefulShutdown()
        }
    }

    @Test func anAnswerOnItsWayOutlivesTheClientsHalfClose() async throws {
        try await withRunningServer(environment: [:]) { port, group in
            let (closed, received) = try await SlowClientTests.exchange(
                port: port, sending: Array(Self.request("GET", "/echo/slow").utf8), halfClose: true, guardTime: .seconds(30))
            #expect(received.hasPrefix("HTTP/1.1 200") && received.hasSuffix(#"{"slow":true}"#), "\(received)")
            #expect(closed)
            await group.triggerGracefulShutdown()
        }
    }

    /// A streamed answer's first part reaches the client while the rest is still being made
    /// (`/echo/stream` pauses 5 s after "["; the 4 s wait for it is a hang guard).
    @Test func aStreamsFirstPartArrivesBeforeItsEnd() async throws {
        try await withRunningServer(environment: ["FEATURES_ECHO_SLOW_MS": "5000"]) { port, group in
            let received = try await Self.receivedUntil("1\r\n[\r\n", port: port, sending: Self.request("GET", "/echo/stream"), guardTime: 4)
            #expect(received.hasPrefix("HTTP/1.1 200") && received.hasSuffix("1\r\n[\r\n"), "\(received)")
            await group.triggerGracefulShutdown()
        }
    }

    /// Sends `request` and reads until what came back ends with `marker`, or `guardTime`
    /// seconds pass without more.
    static func receivedUntil(_ marker: String, port: Int, sending request: String, guardTime: Int) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                guard let socket = connectToLoopback(port: port) else { return continuation.resume(throwing: POSIXError(.ECONNREFUSED)) }
                defer { close(socket) }
                _ = Array(request.utf8).withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                var timeout = timeval(tv_sec: guardTime, tv_usec: 0)
                setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var buffer = [UInt8](repeating: 0, count: 4096)
                var received: [UInt8] = []
                while !String(decoding: received, as: UTF8.self).hasSuffix(marker) {
                    let count = recv(socket, &buffer, buffer.count, 0)
                    if count <= 0 { break }
                    received += buffer[0..<count]
                }
                continuation.resume(returning: String(decoding: received, as: UTF8.self))
            }.start()
        }
    }

    /// `/health` is answered from its constant bytes, with the headers and the request metrics
    /// of any other route; with a query, or as `HEAD`, it takes the router.
    @Test func aConstantRouteIsAnsweredAndCountedLikeAnyOther() async throws {
        try await withRunningServer(environment: [:]) { port, group in
            let requests = [Self.request("GET", "/health"), Self.request("GET", "/health?probe=1"), Self.request("HEAD", "/health")]
            let (_, received) = try await SlowClientTests.exchange(
                port: port, sending: Array((requests.joined() + Self.request("GET", "/metrics", "Connection: close\r\n")).utf8),
                guardTime: .seconds(30))
            let answers = received.components(separatedBy: "HTTP/1.1 ").dropFirst()
            #expect(answers.count == 4, "\(received)")
            for answer in answers.prefix(3) {
                #expect(answer.hasPrefix("200 OK\r\n"))
                #expect(answer.contains("Content-Type: application/json; charset=utf-8\r\n") && answer.contains("Content-Length: 15\r\n"))
                #expect(answer.contains("Server: switchyard\r\n") && answer.contains("\r\nDate: "))
            }
            #expect(answers.prefix(2).allSatisfy { $0.hasSuffix(#"{"status":"ok"}"#) })
            #expect(received.contains(#"http_requests_total{method="GET",route="/health",status="200"} 2"#), "\(received)")
            await group.triggerGracefulShutdown()
        }
    }

    /// The `Date` header as Foundation writes RFC 9110's form, for instants from 1906 to 2096.
    @Test func theDateHeaderIsTheHTTPForm() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let random = RandomSource.seeded(9)
        for _ in 0..<20_000 {
            let seconds = Int64(random.int(in: -2_000_000_000...4_000_000_000))
            #expect(httpDate(secondsSinceEpoch: seconds) == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))))
        }
    }

    /// While one answer is being made, the connection reads no further than a few held parts:
    /// a client that pipelines 64 MiB of requests behind a slow one (5 s, longer than the
    /// one second of sending) fills the socket buffers and waits, instead of having the server
    /// take it all in.
    @Test func aClientCannotQueueUpWorkBehindAnAnswer() async throws {
        try await withRunningServer(environment: ["FEATURES_ECHO_SLOW_MS": "5000"]) { port, group in
            let accepted = try await Self.bytesAcceptedBehindASlowRequest(port: port, offering: 64 << 20)
            #expect(accepted < 24 << 20, "the server took in \(accepted) bytes")
            await group.triggerGracefulShutdown()
        }
    }

    /// Sends the slow request, then for one second as many `/health` requests (48 KiB of
    /// headers each) as the connection takes, reading nothing back; returns the bytes it took.
    static func bytesAcceptedBehindASlowRequest(port: Int, offering total: Int) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                guard let socket = connectToLoopback(port: port) else { return continuation.resume(throwing: POSIXError(.ECONNREFUSED)) }
                defer { close(socket) }
                let flags = fcntl(socket, F_GETFL)
                _ = fcntl(socket, F_SETFL, flags | O_NONBLOCK)
                let slow = Array(request("GET", "/echo/slow").utf8)
                // Large heads, so that reading them is cheap next to their size.
                let chunk = Array(request("GET", "/health", "X-Padding: \(String(repeating: "p", count: 48 << 10))\r\n").utf8)
                var accepted = 0
                let until = ContinuousClock.now + .seconds(1)
                _ = slow.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                while accepted < total, ContinuousClock.now < until {
                    let count = chunk.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if count > 0 {
                        accepted += count
                    } else {
                        var writable = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&writable, 1, 10)
                    }
                }
                continuation.resume(returning: accepted)
            }.start()
        }
    }
}

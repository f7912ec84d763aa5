import Foundation
import HTTPClient
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import Synchronization
import Testing

/// A local Hummingbird server for the client to talk to, with probes the tests read back.
final class UpstreamProbe: Sendable {
    let inFlight = Atomic<Int>(0)
    let maxInFlight = Atomic<Int>(0)
    let attempts = Mutex<[String: Int]>([:])
    /// Responses of `/endless` still being written: one ends only when its client goes away.
    let endless = Atomic<Int>(0)

    func application() -> some ApplicationProtocol {
        let router = Router()
        router.get("/json") { request, _ in
            Response.json(["ok": "true", "n": request.uri.queryParameters["n"].map(String.init) ?? ""])
        }
        router.get("/slow") { request, _ -> String in
            let milliseconds = Int(request.uri.queryParameters["ms"] ?? "0") ?? 0
            try await Task.sleep(for: .milliseconds(milliseconds))
            return "slow"
        }
        router.get("/concurrent") { _, _ -> String in
            let now = self.inFlight.add(1, ordering: .relaxed).newValue
            self.maxInFlight.max(now, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(20))
            self.inFlight.subtract(1, ordering: .relaxed)
            return "done"
        }
        // Answers `status` to the first `fail` calls for a key, then 200.
        router.get("/flaky/{key}") { request, context -> Response in
            let key = try context.parameters.require("key")
            let failures = Int(request.uri.queryParameters["fail"] ?? "0") ?? 0
            let status = Int(request.uri.queryParameters["status"] ?? "503") ?? 503
            let attempt = self.attempts.withLock { attempts in
                attempts[key, default: 0] += 1
                return attempts[key]!
            }
            return Response(status: attempt <= failures ? .init(code: status) : .ok)
        }
        // Like /flaky, for POST: counts the attempts that reached it.
        router.post("/flaky/{key}") { _, context -> Response in
            let key = try context.parameters.require("key")
            self.attempts.withLock { $0[key, default: 0] += 1 }
            return Response(status: .serviceUnavailable)
        }
        router.get("/endless") { _, _ in
            Response(
                status: .ok,
                body: .init { writer in
                    self.endless.add(1, ordering: .relaxed)
                    defer { self.endless.subtract(1, ordering: .relaxed) }
                    while true {
                        try await writer.write(ByteBuffer(string: "."))
                        try await Task.sleep(for: .milliseconds(10))
                    }
                })
        }
        router.get("/big") { _, _ in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bigBody)))
        }
        router.post("/echo") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: body))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    func attemptsMade(_ key: String) -> Int { attempts.withLock { $0[key] ?? 0 } }
}

private extension Response {
    static func json(_ fields: [String: String]) -> Response {
        let data = try! JSONEncoder().encode(fields)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

let bigBody: [UInt8] = (0..<(10 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }

/// Runs `body` with the base URL of a live `UpstreamProbe` server.
func withUpstream(_ body: @escaping @Sendable (String, UpstreamProbe) async throws -> Void) async throws {
    let probe = UpstreamProbe()
    try await probe.application().test(.live) { client in
        try await body("http://127.0.0.1:\(client.port!)", probe)
    }
}

@Suite(.serialized) struct HTTPClientTests {
    @Test func tenThousandConcurrentGetsAllCorrect() async throws {
        try await withUpstream { base, _ in
            // The timeout covers the wait in line too: 10,000 callers behind 64 permits on a
            // loaded machine get two minutes, far more than they need.
            let client = HTTPClient(configuration: .init(maxConcurrentTransfers: 64, defaultTimeout: .seconds(120)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<10_000 {
                    group.addTask {
                        struct Reply: Decodable {
                            let ok: String
                            let n: String
                        }
                        let reply = try await client.getJSON(Reply.self, from: "\(base)/json?n=\(index)")
                        #expect(reply.n == String(index))
                    }
                }
                try await group.waitForAll()
            }
            await client.shutdown()
            #expect(client.liveTransfers == 0)
        }
    }

    @Test func capIsRespectedAndExcessCallersWait() async throws {
        try await withUpstream { base, probe in
            let client = HTTPClient(configuration: .init(maxConcurrentTransfers: 5))
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await client.get("\(base)/concurrent").status }
                }
                for try await status in group { #expect(status == 200) }
            }
            #expect(probe.maxInFlight.load(ordering: .relaxed) <= 5)
            #expect(probe.maxInFlight.load(ordering: .relaxed) >= 2)
            await client.shutdown()
        }
    }

    @Test func timeoutsFire() async throws {
        try await withUpstream { base, _ in
            let client = HTTPClient()
            // The server answers after 2 s, which would be a success: the error is the deadline's.
            await #expect(throws: HTTPClientError.timeout) {
                try await client.get("\(base)/slow?ms=2000", timeout: .milliseconds(200))
            }
            await client.shutdown()
        }
    }

    @Test func retriesHappenExactlyAsConfiguredAndNeverOn4xx() async throws {
        try await withUpstream { base, probe in
            let client = HTTPClient()
            let quick = RetryPolicy(maxRetries: 3, baseDelay: .milliseconds(5), jitter: { 1 })

            let recovered = try await client.get("\(base)/flaky/a?fail=2&status=503", retry: quick)
            #expect(recovered.status == 200)
            #expect(probe.attemptsMade("a") == 3)

            let exhausted = try await client.get("\(base)/flaky/b?fail=10&status=500", retry: quick)
            #expect(exhausted.status == 500)
            #expect(probe.attemptsMade("b") == 4)

            let clientError = try await client.get("\(base)/flaky/c?fail=10&status=404", retry: quick)
            #expect(clientError.status == 404)
            #expect(probe.attemptsMade("c") == 1)

            let noRetry = try await client.get("\(base)/flaky/d?fail=1&status=503")
            #expect(noRetry.status == 503)
            #expect(probe.attemptsMade("d") == 1)
            await client.shutdown()
        }
    }

    @Test func backoffGrowsExponentiallyWithinTheCap() {
        let policy = RetryPolicy(maxRetries: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(500), jitter: { 1 })
        #expect(
            (1...5).map { policy.delay(beforeRetry: $0) } == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500), .milliseconds(500),
            ])
        let halved = RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(100), jitter: { 0.5 })
        #expect(halved.delay(beforeRetry: 1) == .milliseconds(50))
    }

    @Test func cancellationAbortsTheTransfer() async throws {
        try await withUpstream { base, _ in
            let client = HTTPClient()
            let task = Task { try await client.get("\(base)/slow?ms=2000") }
            try await Task.sleep(for: .milliseconds(150))
            task.cancel()
            // A transfer left to finish would have answered 200 after 2 s.
            await #expect(throws: CancellationError.self) { try await task.value }
            await client.shutdown()
            #expect(client.liveTransfers == 0)
        }
    }

    @Test func refusedConnectionIsTyped() async throws {
        let client = HTTPClient()
        let error = await #expect(throws: HTTPClientError.self) { try await client.get("http://127.0.0.1:1/") }
        guard case .connectionFailed? = error else {
            Issue.record("expected connectionFailed, got \(String(describing: error))")
            return
        }
        await client.shutdown()
    }

    /// With the one permit held by a 2 s transfer, a request with 300 ms to live times out in
    /// the queue: waiting on would have ended in a quick 200 once the permit came.
    @Test func theDeadlineCoversTheWaitForAPermit() async throws {
        try await withUpstream { base, _ in
            let client = HTTPClient(configuration: .init(maxConcurrentTransfers: 1))
            let holder = Task { try await client.get("\(base)/slow?ms=2000") }
            try await Task.sleep(for: .milliseconds(200))
            await #expect(throws: HTTPClientError.timeout) { try await client.get("\(base)/json?n=1", timeout: .milliseconds(300)) }
            #expect(try await holder.value.status == 200)
            // The timed-out waiter left no permit behind: the next request runs.
            let next = try await client.get("\(base)/json?n=2")
            #expect(next.status == 200)
            await client.shutdown()
        }
    }

    @Test func nonIdempotentMethodsAreNeverRetried() async throws {
        try await withUpstream { base, probe in
            let client = HTTPClient()
            let retry = RetryPolicy(maxRetries: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(2))
            let posted = try await client.request("POST", "\(base)/flaky/post", body: [1], retry: retry)
            #expect(posted.status == 503)
            #expect(probe.attemptsMade("post") == 1)
            let got = try await client.get("\(base)/flaky/get?fail=9", retry: retry)
            #expect(got.status == 503)
            #expect(probe.attemptsMade("get") == 4)
            await client.shutdown()
        }
    }

    @Test func aBodyOverTheCapFailsClearly() async throws {
        try await withUpstream { base, _ in
            let client = HTTPClient(configuration: HTTPClientConfiguration(maxBodySize: 1 << 20))
            await #expect(throws: HTTPClientError.bodyTooLarge(limit: 1 << 20)) { try await client.get("\(base)/big") }
            // The client carries on, and a body under the cap arrives whole.
            let after = try await client.get("\(base)/json?n=1")
            #expect(after.status == 200)
            await client.shutdown()
            #expect(client.liveTransfers == 0)
        }
    }

    @Test func largeBodiesAndPostsArriveIntact() async throws {
        try await withUpstream { base, _ in
            let client = HTTPClient()
            let response = try await client.get("\(base)/big")
            #expect(response.body.count == bigBody.count)
            #expect(response.body == bigBody)
            let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }
            let echoed = try await client.request(
                "POST", "\(base)/echo", headers: [("Content-Type", "application/octet-stream")], body: payload)
            #expect(echoed.body == payload)
            #expect(echoed.header("content-type") == "application/octet-stream")
            await client.shutdown()
        }
    }

    @Test(.timeLimit(.minutes(1))) func shutdownCancelsInFlightAndFreesEveryHandle() async throws {
        try await withUpstream { base, _ in
            let client = HTTPClient()
            let pending = Task { try await client.get("\(base)/slow?ms=2000") }
            try await Task.sleep(for: .milliseconds(150))
            await client.shutdown()
            await #expect(throws: HTTPClientError.shutdown) { try await pending.value }
            await #expect(throws: HTTPClientError.shutdown) { try await client.get("\(base)/json") }
            #expect(client.liveTransfers == 0)
            // A second shutdown returns (it used to wait forever for a driver already gone).
            await client.shutdown()
        }
    }

    /// Shutdown racing hundreds of requests and cancellations: every caller gets an answer or
    /// an error, nothing touches the freed multi handle, nothing is left alive.
    @Test(.timeLimit(.minutes(1))) func shutdownRacingRequestsAndCancellations() async throws {
        try await withUpstream { base, _ in
            for _ in 0..<5 {
                let client = HTTPClient(configuration: .init(maxConcurrentTransfers: 32))
                let callers = (0..<200).map { index in
                    Task { _ = try? await client.get("\(base)/slow?ms=\(index % 20)") }
                }
                for caller in callers.prefix(50) { caller.cancel() }
                async let first: Void = client.shutdown()
                async let second: Void = client.shutdown()
                _ = await (first, second)
                for caller in callers { await caller.value }
                #expect(client.liveTransfers == 0)
            }
        }
    }
}

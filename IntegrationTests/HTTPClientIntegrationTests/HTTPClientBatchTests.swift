import HTTPClient
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import Synchronization
import Testing

/// `HTTPClient.getAll`: many GETs run by the driver thread, against a local server.
@Suite(.serialized) struct HTTPClientBatchTests {
    /// Hands out `urls` in order, then nil.
    func supply(_ urls: [String]) -> @Sendable () -> String? {
        let next = Mutex(0)
        return {
            next.withLock { index in
                defer { index += 1 }
                return index < urls.count ? urls[index] : nil
            }
        }
    }

    /// A batch of responses without end, 8 at a time, once the server writes all 8.
    func endlessBatch(_ client: HTTPClient, _ base: String, _ probe: UpstreamProbe) async -> Task<HTTPBatchReport, any Error> {
        let batch = Task { try await client.getAll(concurrency: 8) { "\(base)/endless" } }
        while probe.endless.load(ordering: .relaxed) < 8 { await Task.yield() }
        return batch
    }

    /// The server notices each aborted response at its next write; 30 s is a hang guard.
    func waitForNoEndlessResponses(_ probe: UpstreamProbe) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while probe.endless.load(ordering: .relaxed) > 0 {
            guard ContinuousClock.now < deadline else {
                Issue.record("\(probe.endless.load(ordering: .relaxed)) responses still being written")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func everyURLIsSentOnceAndEveryStatusCounted() async throws {
        try await withUpstream { base, probe in
            let client = HTTPClient()
            // Odd keys answer 404 to their first attempt: a retry would turn them into 200s.
            let urls = (0..<1_000).map { "\(base)/flaky/k\($0)?status=404&fail=\($0 % 2)" }
            let report = try await client.getAll(concurrency: 16, nextURL: supply(urls))
            #expect(report.statuses == [200: 500, 404: 500])
            #expect(report.failed == 0)
            #expect((0..<1_000).allSatisfy { probe.attemptsMade("k\($0)") == 1 })
            await client.shutdown()
            #expect(client.liveTransfers == 0)
        }
    }

    @Test func atMostItsConcurrencyIsInFlight() async throws {
        try await withUpstream { base, probe in
            let client = HTTPClient()
            let report = try await client.getAll(concurrency: 8, nextURL: supply(Array(repeating: "\(base)/concurrent", count: 120)))
            #expect(report.statuses == [200: 120])
            #expect(probe.maxInFlight.load(ordering: .relaxed) <= 8)
            #expect(probe.maxInFlight.load(ordering: .relaxed) >= 2)
            await client.shutdown()
        }
    }

    @Test func requestsWithNoAnswerCountAsFailedAndTheRestGoOn() async throws {
        try await withUpstream { base, _ in
            let client = HTTPClient()
            let urls = (0..<200).map { $0 % 2 == 0 ? "\(base)/json?n=\($0)" : "http://127.0.0.1:1/" }
            let report = try await client.getAll(concurrency: 8, nextURL: supply(urls))
            #expect(report.statuses == [200: 100])
            #expect(report.failed == 100)
            await client.shutdown()
        }
    }

    /// Each request of a batch has its own deadline: the slow ones fail in time, the rest
    /// still answer, and the batch ends (the slow answers would come after 2 s).
    @Test func aSlowRequestFailsAtItsDeadlineWithoutHoldingUpTheBatch() async throws {
        try await withUpstream { base, _ in
            let client = HTTPClient()
            // The slow ones never answer in time; a fast one has 3 s, which only the slow miss.
            let urls = (0..<40).map { $0 % 10 == 0 ? "\(base)/slow?ms=5000" : "\(base)/json?n=\($0)" }
            let report = try await client.getAll(concurrency: 4, timeout: .seconds(3), nextURL: supply(urls))
            #expect(report.statuses == [200: 36])
            #expect(report.failed == 4)
            await client.shutdown()
        }
    }

    @Test func anEmptyBatchAnswersAtOnce() async throws {
        let client = HTTPClient()
        let report = try await client.getAll(concurrency: 8, nextURL: supply([]))
        #expect(report == HTTPBatchReport())
        await client.shutdown()
    }

    /// Of a cap of 3, a single request holds one: the batch runs on the two that are free and
    /// leaves nobody queued behind it for long.
    @Test func aBatchTakesOnlyPermitsThatAreFree() async throws {
        try await withUpstream { base, probe in
            let client = HTTPClient(configuration: .init(maxConcurrentTransfers: 3))
            let holder = Task { try await client.get("\(base)/slow?ms=1500") }
            while probe.inFlight.load(ordering: .relaxed) == 0, client.liveTransfers == 0 { await Task.yield() }
            let report = try await client.getAll(concurrency: 10, nextURL: supply(Array(repeating: "\(base)/concurrent", count: 40)))
            #expect(report.statuses == [200: 40])
            #expect(probe.maxInFlight.load(ordering: .relaxed) <= 2)
            #expect(try await holder.value.status == 200)
            // Every permit came back: three requests run at once again.
            let again = try await client.getAll(concurrency: 10, nextURL: supply(Array(repeating: "\(base)/concurrent", count: 60)))
            #expect(again.statuses == [200: 60])
            #expect(probe.maxInFlight.load(ordering: .relaxed) == 3)
            await client.shutdown()
        }
    }

    /// URLs without end, each a response without end: only cancelling can end the batch, and
    /// it aborts the requests in flight (the server sees every one of them go).
    @Test(.timeLimit(.minutes(1))) func cancellingTheCallerStopsTheBatchAndItsRequests() async throws {
        try await withUpstream { base, probe in
            let client = HTTPClient(configuration: .init(defaultTimeout: .seconds(600)))
            let batch = await endlessBatch(client, base, probe)
            batch.cancel()
            await #expect(throws: CancellationError.self) { try await batch.value }
            // Answered only once the driver let go of every transfer of the batch.
            #expect(client.liveTransfers == 0)
            try await waitForNoEndlessResponses(probe)
            await client.shutdown()
        }
    }

    /// A caller cancelled before its batch reaches the driver: the batch starts nothing and
    /// ends at once (the time limit catches a batch left waiting).
    @Test(.timeLimit(.minutes(1))) func aBatchCancelledBeforeItRunsEndsAtOnce() async throws {
        try await withUpstream { base, probe in
            let client = HTTPClient(configuration: .init(defaultTimeout: .seconds(600)))
            let batch = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.getAll(concurrency: 8) { "\(base)/endless" }
            }
            await #expect(throws: CancellationError.self) { try await batch.value }
            #expect(client.liveTransfers == 0)
            try await waitForNoEndlessResponses(probe)
            await client.shutdown()
        }
    }

    @Test(.timeLimit(.minutes(1))) func shutdownEndsARunningBatch() async throws {
        try await withUpstream { base, probe in
            let client = HTTPClient(configuration: .init(defaultTimeout: .seconds(600)))
            let batch = await endlessBatch(client, base, probe)
            await client.shutdown()
            await #expect(throws: HTTPClientError.shutdown) { try await batch.value }
            #expect(client.liveTransfers == 0)
            try await waitForNoEndlessResponses(probe)
            await #expect(throws: HTTPClientError.shutdown) { try await client.getAll(concurrency: 1) { "\(base)/json" } }
        }
    }
}

import Foundation
import SwitchyardCore

/// Settings of the shared outgoing HTTP client.
public struct HTTPClientConfiguration: Sendable {
    /// Transfers in flight at once across all callers; the rest wait in FIFO order.
    public var maxConcurrentTransfers: Int
    public var defaultTimeout: Duration
    public var connectTimeout: Duration
    /// Most bytes of a response body kept; a larger body fails the request with `bodyTooLarge`.
    public var maxBodySize: Int

    public init(
        maxConcurrentTransfers: Int = 256, defaultTimeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(5),
        maxBodySize: Int = 16 << 20
    ) {
        self.maxConcurrentTransfers = max(1, maxConcurrentTransfers)
        self.defaultTimeout = defaultTimeout
        self.connectTimeout = connectTimeout
        self.maxBodySize = max(1, maxBodySize)
    }
}

/// Async outgoing HTTP on libcurl's multi interface: many concurrent requests on one driver
/// thread, a global cap on transfers in flight, per-request timeouts, cancellation and retries.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let driver = CurlMultiDriver()
    private let cap: FIFOSemaphore
    private let live = LiveTransfers()

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.configuration = configuration
        cap = FIFOSemaphore(permits: configuration.maxConcurrentTransfers)
    }

    /// This client's transfers alive, each holding an easy handle (zero when nothing is in flight).
    public var liveTransfers: Int { live.count.load(ordering: .relaxed) }

    public func get(
        _ url: String, headers: [(name: String, value: String)] = [], timeout: Duration? = nil,
        retry: RetryPolicy = .none
    ) async throws -> HTTPClientResponse {
        try await request("GET", url, headers: headers, body: nil, timeout: timeout, retry: retry)
    }

    /// GETs `url` and decodes a 2xx JSON body; other statuses throw `HTTPStatusError`.
    public func getJSON<T: Decodable>(
        _ type: T.Type, from url: String, timeout: Duration? = nil, retry: RetryPolicy = .none
    ) async throws -> T {
        let response = try await get(url, headers: [("Accept", "application/json")], timeout: timeout, retry: retry)
        guard (200..<300).contains(response.status) else { throw HTTPStatusError(response: response) }
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw HTTPClientError.invalidJSON("\(error)")
        }
    }

    /// Sends a request; connection errors, timeouts and 5xx are retried as `retry` says, and the
    /// last response (whatever its status) or error is what the caller gets. Only idempotent
    /// methods are retried: a POST or PATCH that may have reached the server is never sent twice.
    public func request(
        _ method: String, _ url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: Duration? = nil, retry: RetryPolicy = .none
    ) async throws -> HTTPClientResponse {
        let spec = HTTPRequestSpec(
            method: method, url: url, headers: headers, body: body,
            timeout: timeout ?? configuration.defaultTimeout, connectTimeout: configuration.connectTimeout,
            maxBodySize: configuration.maxBodySize)
        let retry = Self.idempotentMethods.contains(method.uppercased()) ? retry : .none
        var attempt = 0
        while true {
            do {
                let response = try await perform(spec)
                guard retry.shouldRetry(status: response.status), attempt < retry.maxRetries else { return response }
            } catch let error as HTTPClientError where error.isTransient && attempt < retry.maxRetries {
                // Retried below.
            }
            attempt += 1
            try await Task.sleep(for: retry.delay(beforeRetry: attempt))
        }
    }

    /// GETs every URL that `nextURL` hands out until it returns nil, up to `concurrency` at a
    /// time, without retries, and counts the answers. The driver thread starts each request as
    /// one finishes (`CurlBatch`), so this is the way to send very many. The first permit is
    /// waited for as a single request's is; more are taken only while free, so a long batch
    /// never holds up callers queued behind it. `nextURL` runs on the driver thread, between
    /// transfers: it must be quick.
    public func getAll(
        concurrency: Int, timeout: Duration? = nil, nextURL: @escaping @Sendable () -> String?
    ) async throws -> HTTPBatchReport {
        let timeout = timeout ?? configuration.defaultTimeout
        try await acquirePermit(within: timeout)
        var width = 1
        while width < concurrency, cap.tryAcquire() { width += 1 }
        defer { for _ in 0..<width { cap.release() } }
        let template = HTTPRequestSpec(
            method: "GET", url: "", headers: [], body: nil, timeout: timeout, connectTimeout: configuration.connectTimeout,
            maxBodySize: configuration.maxBodySize)
        let batch = CurlBatch(width: width, template: template, live: live, nextURL: nextURL)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                batch.wait(continuation)
                do {
                    try driver.add(batch)
                } catch {
                    batch.stop(error)
                    batch.finishIfDone()
                }
            }
        } onCancel: {
            driver.cancel(batch)
        }
    }

    static let idempotentMethods: Set<String> = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]

    /// Fails waiting callers, cancels transfers in flight and frees every handle.
    public func shutdown() async {
        cap.close()
        await driver.shutdown()
    }

    private func acquirePermit(within timeout: Duration) async throws {
        do {
            try await cap.acquire(within: timeout)
        } catch is FIFOSemaphore.Closed {
            throw HTTPClientError.shutdown
        } catch is FIFOSemaphore.TimedOut {
            throw HTTPClientError.timeout
        }
    }

    /// One attempt. Its timeout covers the wait for a permit too: a caller queued behind a full
    /// cap gets `.timeout` when its time is up, and the transfer gets what is left of it.
    private func perform(_ spec: HTTPRequestSpec) async throws -> HTTPClientResponse {
        let start = ContinuousClock.now
        try await acquirePermit(within: spec.timeout)
        defer { cap.release() }
        var spec = spec
        spec.timeout = max(.milliseconds(1), spec.timeout - (ContinuousClock.now - start))
        let transfer = try CurlTransfer(spec, live: live)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.onCompletion { continuation.resume(with: $0) }
                do {
                    try driver.add(transfer)
                } catch {
                    transfer.fail(error)
                }
            }
        } onCancel: {
            driver.cancel(transfer)
        }
    }
}

/// A response whose status the caller did not accept.
public struct HTTPStatusError: Error, Sendable, CustomStringConvertible {
    public let response: HTTPClientResponse
    public var description: String { "unexpected HTTP status \(response.status)" }
}

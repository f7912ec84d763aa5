import SwitchyardCore

/// Turns for CPU work in proportion to a request's size (parsing and validating a large body):
/// at most `http.large-body-concurrency` such jobs run at once, the others wait in FIFO order up
/// to `wait`, then get 429 `BUSY`. A turn covers the CPU work only, never the network: a slow
/// upload is read before its turn, and the store's round trips come after it, so neither a slow
/// client nor a slow database holds a turn another request needs.
public struct LargeBodyTurns: Sendable {
    let permits: FIFOSemaphore
    let wait: Duration

    public init(concurrency: Int, wait: Duration) {
        permits = FIFOSemaphore(permits: max(1, concurrency))
        self.wait = wait
    }

    public func run<T>(_ work: () throws -> T) async throws -> T {
        do {
            try await permits.acquire(within: wait)
        } catch is FIFOSemaphore.TimedOut {
            throw APIError.busy("Too many large requests are waiting here; retry later.", retryAfterSeconds: 1)
        }
        defer { permits.release() }
        return try work()
    }
}

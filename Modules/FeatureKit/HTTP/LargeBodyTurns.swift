import SwitchyardCore
import Synchronization

/// Turns for CPU work in proportion to a request's size (parsing and validating a large body):
/// at most `http.large-body-concurrency` such jobs run at once, the others wait in FIFO order up
/// to `wait`, then get 429 `BUSY`. A turn covers the CPU work only, never the network: a slow
/// upload is read before its turn, and the store's round trips come after it, so neither a slow
/// client nor a slow database holds a turn another request needs.
///
/// What waits is bounded too: every large request, from before its body is read until its
/// parse ends, holds a place in a queue of at most `http.large-body-queue` requests and
/// `http.large-body-queue-bytes` bytes (its declared length, or its route's cap when it
/// declares none). Past either, 429 `BUSY` at once, before its body is read.
public final class LargeBodyTurns: Sendable {
    let permits: FIFOSemaphore
    let wait: Duration
    let maxQueued: Int
    let maxQueuedBytes: Int
    private let queued = Mutex<(count: Int, bytes: Int)>((0, 0))

    public init(concurrency: Int, wait: Duration, maxQueued: Int = 16, maxQueuedBytes: Int = 128 << 20) {
        permits = FIFOSemaphore(permits: max(1, concurrency))
        self.wait = wait
        self.maxQueued = max(1, maxQueued)
        self.maxQueuedBytes = max(1, maxQueuedBytes)
    }

    /// Holds a place for `bytes` while `read` takes the body and `work` parses it in a turn.
    public func run<Input, T>(
        reserving bytes: Int, read: () async throws -> Input, work: (Input) throws -> T
    ) async throws -> T {
        let admitted = queued.withLock { queued in
            guard queued.count < maxQueued, queued.bytes + bytes <= maxQueuedBytes || queued.count == 0 else { return false }
            queued.count += 1
            queued.bytes += bytes
            return true
        }
        guard admitted else {
            throw APIError.busy("Too many large requests are waiting here; retry later.", retryAfterSeconds: 1)
        }
        defer {
            queued.withLock { queued in
                queued.count -= 1
                queued.bytes -= bytes
            }
        }
        let input = try await read()
        do {
            try await permits.acquire(within: wait)
        } catch is FIFOSemaphore.TimedOut {
            throw APIError.busy("Too many large requests are waiting here; retry later.", retryAfterSeconds: 1)
        }
        defer { permits.release() }
        return try work(input)
    }
}

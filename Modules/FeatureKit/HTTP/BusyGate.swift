import Synchronization

/// One run at a time of an expensive operation (a self load test, a data generator) in this
/// process: a concurrent call is refused at once with 429 `BUSY` and `Retry-After`, so a client
/// cannot stack such runs up and turn one request into thousands of the server's own.
public final class BusyGate: Sendable {
    private let busy = Atomic<Bool>(false)
    private let retryAfterSeconds: Int

    public init(retryAfterSeconds: Int = 5) {
        self.retryAfterSeconds = retryAfterSeconds
    }

    public func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            throw APIError.busy("This operation is already running here; retry later.", retryAfterSeconds: retryAfterSeconds)
        }
        defer { busy.store(false, ordering: .releasing) }
        return try await body()
    }
}

/// How a caller wants failures retried: connection errors, timeouts and 5xx answers are retried
/// up to `maxRetries` times with exponential backoff and full jitter; 4xx answers never are.
public struct RetryPolicy: Sendable {
    public var maxRetries: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// A uniform draw in 0..<1, injectable so tests can fix the jitter.
    public var jitter: @Sendable () -> Double

    public init(
        maxRetries: Int, baseDelay: Duration = .milliseconds(50), maxDelay: Duration = .seconds(2),
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.maxRetries = max(0, maxRetries)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    public static let none = RetryPolicy(maxRetries: 0)

    /// The pause before retry number `attempt` (1-based): a random share of the capped
    /// exponential step, so many callers retrying together spread out.
    public func delay(beforeRetry attempt: Int) -> Duration {
        let step = baseDelay * (1 << min(attempt - 1, 30))
        return min(step, maxDelay) * jitter()
    }

    func shouldRetry(status: Int) -> Bool { status >= 500 }
}

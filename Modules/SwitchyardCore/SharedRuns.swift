import Synchronization

/// Concurrent callers asking for the same key share one run of the work: when the cache
/// expires under load, one upstream fan-out serves every request waiting for it instead of
/// one fan-out each.
public final class SharedRuns<Value: Sendable>: Sendable {
    public init() {}

    private let running = Mutex<[String: Task<Value, any Error>]>([:])

    public func value(for key: String, _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = running.withLock { running in
            if let task = running[key] { return task }
            let task = Task { try await work() }
            running[key] = task
            return task
        }
        defer { running.withLock { if $0[key] == task { $0[key] = nil } } }
        return try await task.value
    }
}

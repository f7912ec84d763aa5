import NIOCore
import Synchronization

/// Limits work in flight (the client's transfers, a feature's own fan-out); callers past the
/// limit wait their turn in arrival order. Tens of thousands may wait at once and many of them
/// may be cancelled (a fan-out that stops early), so cancelling a waiter is O(1): it leaves
/// the queue lazily.
public final class FIFOSemaphore: Sendable {
    private typealias Waiter = CheckedContinuation<Void, any Error>

    private struct State {
        var available: Int
        /// Waiter ids in arrival order; ids no longer in `waiting` were cancelled.
        var order = CircularBuffer<Int>()
        var waiting: [Int: Waiter] = [:]
        /// Ids handed out but not queued yet, and whether they were cancelled meanwhile.
        var unqueued: [Int: Bool] = [:]
        var nextID = 0
        var closed = false
    }

    private let state: Mutex<State>

    /// What waiting callers and later ones get once the semaphore is closed.
    public struct Closed: Error, Equatable {
        public init() {}
    }

    /// What `acquire(within:)` throws when no permit came in time.
    public struct TimedOut: Error, Equatable {
        public init() {}
    }

    public init(permits: Int) {
        state = Mutex(State(available: permits))
    }

    public func acquire() async throws {
        let id = try state.withLock { state -> Int? in
            if try Self.takeFree(&state) { return nil }
            state.nextID += 1
            state.unqueued[state.nextID] = false
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let outcome = state.withLock { state -> Result<Bool, any Error> in
                    if state.closed { return .failure(FIFOSemaphore.Closed()) }
                    if state.unqueued.removeValue(forKey: id) == true { return .failure(CancellationError()) }
                    // A permit released since the id was handed out found nobody queued.
                    if state.available > 0 {
                        state.available -= 1
                        return .success(true)
                    }
                    state.order.append(id)
                    state.waiting[id] = continuation
                    return .success(false)
                }
                switch outcome {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                if state.unqueued[id] != nil { state.unqueued[id] = true }
                return state.waiting.removeValue(forKey: id)
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Like `acquire()`, but gives up after `timeout` with `TimedOut`. A permit granted just as
    /// the time ran out is handed back, never lost.
    public func acquire(within timeout: Duration) async throws {
        // A free permit needs no timer: the task group below costs more than a short request.
        if try state.withLock({ try Self.takeFree(&$0) }) { return }
        let acquired = try await withThrowingTaskGroup(of: Bool.self) { group -> Bool in
            group.addTask {
                try await self.acquire()
                return true
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return false
            }
            let first: Result<Bool, any Error>
            do {
                first = .success(try await group.next() ?? false)
            } catch {
                first = .failure(error)
            }
            group.cancelAll()
            if case .success(true) = first { return true }
            // The waiter is cancelled now; one that got its permit anyway gives it back.
            while let late = try? await group.next() {
                if late { release() }
            }
            return try first.get()
        }
        if !acquired { throw TimedOut() }
    }

    /// A permit if one is free and nobody is queued for it; never waits.
    public func tryAcquire() -> Bool {
        state.withLock { (try? Self.takeFree(&$0)) ?? false }
    }

    /// Takes a permit if one is free and nobody is queued before this caller.
    private static func takeFree(_ state: inout State) throws -> Bool {
        if state.closed { throw FIFOSemaphore.Closed() }
        guard state.available > 0 && state.waiting.isEmpty else { return false }
        state.available -= 1
        return true
    }

    public func release() {
        let next = state.withLock { state -> Waiter? in
            while let id = state.order.popFirst() {
                if let waiter = state.waiting.removeValue(forKey: id) { return waiter }
            }
            state.available += 1
            return nil
        }
        next?.resume()
    }

    /// Runs `body` holding one permit.
    public func withPermit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    /// Fails every waiter and refuses new ones.
    public func close() {
        let waiters = state.withLock { state in
            state.closed = true
            state.order.removeAll()
            state.unqueued.removeAll()
            defer { state.waiting.removeAll() }
            return Array(state.waiting.values)
        }
        waiters.forEach { $0.resume(throwing: FIFOSemaphore.Closed()) }
    }
}

import NIOCore
import Synchronization

/// Limits transfers in flight; callers past the limit wait their turn in arrival order.
final class FIFOSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters = CircularBuffer<(id: Int, continuation: CheckedContinuation<Void, any Error>)>()
        var nextID = 0
        var closed = false
    }

    private let state: Mutex<State>

    init(permits: Int) {
        state = Mutex(State(available: permits))
    }

    func acquire() async throws {
        let id = try state.withLock { state -> Int? in
            if state.closed { throw HTTPClientError.shutdown }
            if state.available > 0 && state.waiters.isEmpty {
                state.available -= 1
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let enqueued = state.withLock { state -> Bool in
                    if state.closed { return false }
                    state.waiters.append((id, continuation))
                    return true
                }
                if !enqueued { continuation.resume(throwing: HTTPClientError.shutdown) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    func release() {
        let next = state.withLock { state in
            if let waiter = state.waiters.popFirst() { return Optional(waiter) }
            state.available += 1
            return nil
        }
        next?.continuation.resume()
    }

    /// Fails every waiter and refuses new ones.
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters)
        }
        waiters.forEach { $0.continuation.resume(throwing: HTTPClientError.shutdown) }
    }
}

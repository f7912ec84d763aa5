import NIOCore
import NIOPosix
import Synchronization

/// Lends connections to one caller at a time. At most `maxConnections` exist; callers beyond
/// that wait in FIFO order up to `acquireTimeout`. Broken connections are discarded, and the
/// next caller opens a fresh one, which is how a restarted server is picked up.
final class ConnectionPool: Sendable {
    /// What a caller is handed: an idle connection, or the right to open one.
    private enum Lease: Sendable {
        case existing(PostgresConnection)
        case open
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Lease, any Error>
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters = CircularBuffer<Waiter>()
        var nextWaiterID = 0
        /// Waiters with an id but not queued yet, and the error if they were given up on
        /// (timer or cancellation) meanwhile: they must not queue then, or nothing would end the wait.
        var unqueued: [Int: (any Error)?] = [:]
        var closed = false
    }

    let configuration: PostgresConfiguration
    /// One thread per possible connection: a blocking libpq call never waits for a thread.
    let threads: NIOThreadPool
    let deadlines: QueryDeadlines
    private let state = Mutex(State())

    init(configuration: PostgresConfiguration, deadlines: QueryDeadlines) {
        self.configuration = configuration
        self.deadlines = deadlines
        threads = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        threads.start()
    }

    /// Runs `body` with a connection of its own on a pool thread, then returns the connection.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await run(on: connection, body)
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// `body` on a pool thread with `connection`. The caller waits for the thread, so nothing
    /// else touches the connection meanwhile. With `deadline`, it is due within
    /// `postgres.query-timeout`: past it `QueryDeadlines` interrupts the connection, which is then
    /// never lent again. A result that arrived is returned even so; a failure after the
    /// interruption is `.unavailable` when the server stopped the statement (57014) and
    /// `.outcomeUnknown` when the connection was cut with the statement in flight.
    func run<T: Sendable>(
        on connection: PostgresConnection, deadline: Bool = true,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let watch = deadline ? deadlines.watch(connection, until: .now + deadlines.timeout) : nil
        let result: Result<T, any Error>
        do {
            result = .success(try await onPoolThread { try body(connection) })
        } catch {
            result = .failure(error)
        }
        if let watch, deadlines.unwatch(watch) {
            connection.isOutOfStep = true
            if case .failure(let error) = result {
                if (error as? PostgresError)?.sqlState == "57014" { throw PostgresError.unavailable(deadlines.reason) }
                throw PostgresError.outcomeUnknown(deadlines.reason)
            }
        }
        return try result.get()
    }

    /// `body` on one of the pool's threads; once the pool is closing or closed, a PostgreSQL
    /// error (503), whether the pool refused the work or dropped it queued.
    func onPoolThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await threads.runIfActive(body)
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw PostgresError.unavailable("client closed")
        } catch is CancellationError where state.withLock({ $0.closed }) {
            throw PostgresError.unavailable("client closed")
        }
    }

    func acquire() async throws -> PostgresConnection {
        switch try await lease() {
        case .existing(let connection):
            return connection
        case .open:
            do {
                let configuration = self.configuration
                return try await onPoolThread { try PostgresConnection.connect(configuration) }
            } catch {
                releaseSlot()
                throw error as? PostgresError ?? .unavailable("\(error)")
            }
        }
    }

    func release(_ connection: PostgresConnection) {
        if !connection.isReusable {
            discard(connection)
            releaseSlot()
            return
        }
        let (waiter, closed) = state.withLock { state -> (Waiter?, Bool) in
            if state.closed { return (nil, true) }
            if let waiter = state.waiters.popFirst() { return (waiter, false) }
            state.idle.append(connection)
            return (nil, false)
        }
        if closed { discard(connection) }
        waiter?.continuation.resume(returning: .existing(connection))
    }

    /// Opens connections up to `minConnections` ahead of demand; failures are left for later.
    func prewarm() async {
        for _ in 0..<configuration.minConnections {
            if let connection = try? await acquire() { release(connection) }
        }
    }

    func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.idle = []
                state.waiters = []
            }
            return (state.idle, Array(state.waiters))
        }
        for waiter in waiters { waiter.continuation.resume(throwing: PostgresError.unavailable("client closed")) }
        // PQfinish says goodbye over the socket and may block: on a pool thread, never the caller's.
        try? await threads.runIfActive { idle.forEach { $0.close() } }
        try? await threads.shutdownGracefully()
    }

    private func lease() async throws -> Lease {
        let immediate = try state.withLock { state -> Lease? in
            if state.closed { throw PostgresError.unavailable("client closed") }
            if let connection = state.idle.popLast() { return .existing(connection) }
            if state.open < configuration.maxConnections {
                state.open += 1
                return .open
            }
            return nil
        }
        if let immediate { return immediate }
        return try await waitForLease()
    }

    private func waitForLease() async throws -> Lease {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            state.unqueued[state.nextWaiterID] = .some(nil)
            return state.nextWaiterID
        }
        let timeout = configuration.acquireTimeout
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.abandon(waiter: id, with: PostgresError.unavailable("no connection free within \(timeout)"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refusal = state.withLock { state -> (any Error)? in
                    if state.closed { return PostgresError.unavailable("client closed") }
                    if case let reason?? = state.unqueued.removeValue(forKey: id) { return reason }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            // The caller went away: its own cancellation, not a database outage.
            self.abandon(waiter: id, with: CancellationError())
        }
    }

    /// Ends a wait with `error`, whether the waiter is queued yet or not.
    private func abandon(waiter id: Int, with error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                // Not queued yet: it will see this when it tries; already served: nothing to do.
                if case .some(nil) = state.unqueued[id] { state.unqueued[id] = error }
                return nil
            }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Closes a connection that will not be lent again, on a pool thread (PQfinish may block).
    private func discard(_ connection: PostgresConnection) {
        threads.submit { _ in connection.close() }
    }

    /// A connection went away: its slot passes to the first waiter, who opens a new one.
    private func releaseSlot() {
        let waiter = state.withLock { state -> Waiter? in
            if let waiter = state.waiters.popFirst() { return waiter }
            state.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .open)
    }
}

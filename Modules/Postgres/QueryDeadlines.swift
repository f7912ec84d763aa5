import Foundation
import Synchronization

/// `postgres.query-timeout`, enforced from outside the threads that block in libpq. A thread of
/// its own looks every 50 ms: callers whose deadline passed are answered at once (503), and the
/// connection they wait on is interrupted, first with PQcancel (the server stops the statement and
/// the connection survives), then, if libpq is still blocked a grace period later (a black-holed
/// network answers nothing, a cancel included), by shutting its socket down so the blocked call
/// returns. An interrupted connection is never lent again: a late cancel must not reach the
/// statement of whoever would come next. Behind a pooler no cancel is sent (it could reach
/// another client's statement): the socket is cut at once.
final class QueryDeadlines: Sendable {
    static let tick: TimeInterval = 0.05
    static let grace: Duration = .seconds(1)

    private struct Watch {
        let connection: PostgresConnection
        let deadline: ContinuousClock.Instant
        var cancelled = false
        var severed = false
    }

    private struct State {
        var watches: [Int: Watch] = [:]
        var nextID = 0
        /// Called each tick with the time: pipelines answer their callers whose deadline passed.
        var sweepers: [@Sendable (ContinuousClock.Instant) -> Void] = []
        var closed = false
    }

    let timeout: Duration
    private let state = Mutex(State())

    init(timeout: Duration) {
        self.timeout = timeout
        let thread = Thread { [weak self] in
            while let self, self.sweep() {
                Thread.sleep(forTimeInterval: Self.tick)
            }
        }
        thread.name = "postgres-deadlines"
        thread.start()
    }

    var reason: String { "no answer within postgres.query-timeout (\(timeout))" }

    /// PQcancel opens a connection of its own and may block as long as the network does: a
    /// short-lived thread each, at most one per connection in use.
    static func requestCancel(_ connection: PostgresConnection) {
        Thread { connection.requestCancel() }.start()
    }

    func addSweeper(_ sweeper: @escaping @Sendable (ContinuousClock.Instant) -> Void) {
        state.withLock { $0.sweepers.append(sweeper) }
    }

    /// Starts watching `connection` while its owner runs something due by `deadline`.
    func watch(_ connection: PostgresConnection, until deadline: ContinuousClock.Instant) -> Int {
        state.withLock { state in
            defer { state.nextID += 1 }
            state.watches[state.nextID] = Watch(connection: connection, deadline: deadline)
            return state.nextID
        }
    }

    /// Stops watching; true when the connection was interrupted meanwhile.
    func unwatch(_ id: Int) -> Bool {
        state.withLock { $0.watches.removeValue(forKey: id)?.cancelled ?? false }
    }

    func close() {
        state.withLock { $0.closed = true }
    }

    /// One look at every watch; false once closed, which ends the thread.
    private func sweep() -> Bool {
        let now = ContinuousClock.now
        let (sweepers, toCancel, closed) = state.withLock { state in
            var toCancel: [PostgresConnection] = []
            for (id, watch) in state.watches where watch.deadline <= now {
                if !watch.cancelled {
                    state.watches[id]?.cancelled = true
                    if watch.connection.canCancel {
                        toCancel.append(watch.connection)
                    } else {
                        // Behind a pooler: cut at once, under the lock as below.
                        state.watches[id]?.severed = true
                        watch.connection.severSocket()
                    }
                } else if !watch.severed && watch.deadline + Self.grace <= now {
                    state.watches[id]?.severed = true
                    // Under the lock: the owner cannot unwatch, and so close the socket, meanwhile.
                    watch.connection.severSocket()
                }
            }
            return (state.sweepers, toCancel, state.closed)
        }
        sweepers.forEach { $0(now) }
        toCancel.forEach(Self.requestCancel)
        return !closed
    }
}

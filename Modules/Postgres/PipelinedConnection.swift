import Foundation
import Synchronization

/// One connection in pipeline mode with a thread of its own. Callers enqueue single statements;
/// the thread sends whatever has queued up as one pipeline and hands each caller its result.
/// Concurrent callers thus share round trips instead of each paying for one. Statements here run
/// outside transactions (autocommit); transactions take an exclusive connection from the pool.
///
/// Each caller is answered as soon as its own statement's segment is read, and by its deadline
/// (`QueryDeadlines`) or its task's cancellation at the latest, whatever the thread is blocked on;
/// the queue has a bound, beyond which callers get a 503 at once. A deadline ends only its own
/// caller's wait: a statement never sent fails as `.unavailable`, one sent as `.outcomeUnknown`, and
/// the server is asked to cancel only when the overdue statement is the one it is running. A
/// cancel that lands on the next statement instead (it arrived late) is not that caller's
/// failure: its statement did not run, and is sent again once.
final class PipelinedConnection: @unchecked Sendable {
    /// One caller's statement; answered exactly once, by whoever comes first: the thread with its
    /// result, the deadline, or the caller's cancellation.
    private final class Job: Sendable {
        let statement: PostgresConnection.Statement
        let deadline: ContinuousClock.Instant
        private struct State {
            var continuation: CheckedContinuation<PostgresRows, any Error>?
            var early: Result<PostgresRows, any Error>?
            var done = false
            var resent = false
        }
        private let state = Mutex(State())

        init(statement: PostgresConnection.Statement, deadline: ContinuousClock.Instant) {
            self.statement = statement
            self.deadline = deadline
        }

        var isDone: Bool { state.withLock { $0.done } }

        /// True the first time only: a statement is sent again at most once.
        func markResent() -> Bool {
            state.withLock { state in
                defer { state.resent = true }
                return !state.resent && !state.done
            }
        }

        func wait(_ continuation: CheckedContinuation<PostgresRows, any Error>) {
            let early = state.withLock { state -> Result<PostgresRows, any Error>? in
                if state.done { return state.early }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        func finish(_ result: Result<PostgresRows, any Error>) {
            let continuation = state.withLock { state -> CheckedContinuation<PostgresRows, any Error>? in
                if state.done { return nil }
                state.done = true
                if state.continuation == nil { state.early = result }
                return state.continuation
            }
            continuation?.resume(with: result)
        }
    }

    /// The batch taken from the queue, as the deadline sweep sees it: connecting (no connection
    /// yet, nothing sent), then on the wire.
    private struct Batch {
        let jobs: [Job]
        var connection: PostgresConnection?
        var answered: [Bool]
        /// The statement the server was asked to cancel, when, and whether its socket was cut since.
        var cancel: (index: Int, at: ContinuousClock.Instant, severed: Bool)?

        /// The statement the server is running now: the first not answered yet.
        var current: Int? { answered.firstIndex(of: false) }
    }

    /// Most statements in one pipeline, so one slow batch cannot hold the rest for long.
    static let maximumBatch = 512
    /// After a failed connect, statements fail at once for this long instead of each retrying.
    static let reconnectPause: TimeInterval = 0.1

    private let configuration: PostgresConfiguration
    private let deadlines: QueryDeadlines
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [Job] = []
    private var batch: Batch?
    private var closing = false
    // Touched only by the connection's thread.
    private var connection: PostgresConnection?
    private var lastConnectFailure: (at: Date, error: PostgresError)?

    init(configuration: PostgresConfiguration, deadlines: QueryDeadlines) {
        self.configuration = configuration
        self.deadlines = deadlines
        // The thread keeps the connection alive until `close()` ends it.
        let thread = Thread { self.serve() }
        thread.name = "postgres-pipeline"
        thread.start()
        deadlines.addSweeper { [weak self] now in self?.expire(now: now) }
    }

    func query(_ statement: PostgresConnection.Statement) async throws -> PostgresRows {
        if let refusal = SharedConnectionRules.refusal(of: statement.sql) { throw refusal }
        let job = Job(statement: statement, deadline: .now + deadlines.timeout)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                job.wait(continuation)
                condition.lock()
                defer { condition.unlock() }
                if closing {
                    job.finish(.failure(PostgresError.unavailable("client closed")))
                } else if jobs.count >= configuration.maxQueuedStatements {
                    job.finish(.failure(PostgresError.unavailable("\(jobs.count) statements already waiting (postgres.max-queue)")))
                } else {
                    jobs.append(job)
                    condition.signal()
                }
            }
        } onCancel: {
            // Its statement may still run (it may be on its way already); its caller has gone.
            job.finish(.failure(CancellationError()))
        }
    }

    /// Lets queued statements finish, then closes the connection and ends the thread.
    func close() {
        condition.lock()
        closing = true
        condition.signal()
        condition.unlock()
    }

    /// Answers every caller whose deadline has passed, and asks the server to stop the statement
    /// it runs if that one is overdue; if libpq is still blocked on it a grace period later (a
    /// black-holed network answers nothing, a cancel included), cuts the socket. Behind a pooler
    /// the socket is cut at once.
    private func expire(now: ContinuousClock.Instant) {
        condition.lock()
        var unsent = jobs.filter { $0.deadline <= now }
        jobs.removeAll { $0.deadline <= now }
        var sent: [Job] = []
        var toCancel: PostgresConnection?
        if var running = batch {
            let overdue = zip(running.jobs, running.answered).filter { !$1 && $0.deadline <= now }.map(\.0)
            if let connection = running.connection {
                sent = overdue
                if let current = running.current, running.jobs[current].deadline <= now {
                    if running.cancel?.index != current {
                        running.cancel = (current, now, !connection.canCancel)
                        if connection.canCancel {
                            toCancel = connection
                        } else {
                            // Behind a pooler there is no cancel to send: the socket is cut at
                            // once, its overdue callers answered first so that the deadline's
                            // error reaches them, not the cut's.
                            sent.forEach { $0.finish(.failure(PostgresError.outcomeUnknown(deadlines.reason))) }
                            connection.severSocket()
                        }
                    } else if let cancel = running.cancel, !cancel.severed, cancel.at + QueryDeadlines.grace <= now {
                        running.cancel?.severed = true
                        // Under the lock: the thread cannot close the connection meanwhile.
                        connection.severSocket()
                    }
                }
            } else {
                // Still connecting: nothing of this batch was sent.
                unsent += overdue
            }
            batch = running
        }
        condition.unlock()
        unsent.forEach { $0.finish(.failure(PostgresError.unavailable(deadlines.reason))) }
        sent.forEach { $0.finish(.failure(PostgresError.outcomeUnknown(deadlines.reason))) }
        if let toCancel { QueryDeadlines.requestCancel(toCancel) }
    }

    private func serve() {
        while let jobs = nextBatch() {
            run(jobs)
        }
        connection = nil
    }

    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while jobs.isEmpty && !closing { condition.wait() }
            if jobs.isEmpty { return nil }
            let taken = Array(jobs.prefix(Self.maximumBatch))
            jobs.removeFirst(taken.count)
            // Callers already answered (cancelled, or out of time) need nothing sent.
            let live = taken.filter { !$0.isDone }
            if !live.isEmpty {
                batch = Batch(jobs: live, connection: nil, answered: Array(repeating: false, count: live.count))
                return live
            }
        }
    }

    private func run(_ jobs: [Job]) {
        let connection: PostgresConnection
        do {
            connection = try connected()
        } catch {
            condition.lock()
            batch = nil
            condition.unlock()
            let failure = error as? PostgresError ?? .unavailable("\(error)")
            jobs.forEach { $0.finish(.failure(failure)) }
            return
        }
        condition.lock()
        batch?.connection = connection
        condition.unlock()
        connection.runPipeline(jobs.map(\.statement)) { index, result in
            condition.lock()
            batch?.answered[index] = true
            let cancelledIndex = batch?.cancel?.index
            condition.unlock()
            let job = jobs[index]
            // Cancelled by a cancel meant for another statement: it did not run, send it again.
            if case .failure(let error) = result, error.sqlState == "57014", let cancelledIndex, cancelledIndex != index,
                job.markResent()
            {
                condition.lock()
                self.jobs.insert(job, at: 0)
                condition.unlock()
                return
            }
            job.finish(result.mapError { $0 })
        }
        condition.lock()
        let interrupted = batch?.cancel != nil
        batch = nil
        condition.unlock()
        // A connection asked to cancel (a late cancel would reach the next batch), lost, with
        // results unread, or left in a transaction or session state is closed; the next batch
        // opens another.
        if interrupted || !connection.isReusable { self.connection = nil }
    }

    private func connected() throws -> PostgresConnection {
        if let connection { return connection }
        if let failure = lastConnectFailure, Date().timeIntervalSince(failure.at) < Self.reconnectPause {
            throw failure.error
        }
        do {
            let fresh = try PostgresConnection.connect(configuration)
            try fresh.enterPipelineMode()
            connection = fresh
            lastConnectFailure = nil
            return fresh
        } catch {
            let failure = error as? PostgresError ?? .unavailable("\(error)")
            lastConnectFailure = (Date(), failure)
            throw failure
        }
    }
}

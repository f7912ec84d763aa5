import Foundation
import Synchronization

/// One connection in pipeline mode with a thread of its own. Callers enqueue single statements;
/// the thread sends whatever has queued up as one pipeline and hands each caller its result.
/// Concurrent callers thus share round trips instead of each paying for one. Statements here run
/// outside transactions (autocommit); transactions take an exclusive connection from the pool.
///
/// Every caller is answered by its deadline (`QueryDeadlines`) or its task's cancellation,
/// whatever the thread is blocked on; the queue has a bound, beyond which callers get a 503 at once.
final class PipelinedConnection: @unchecked Sendable {
    /// One caller's statement; answered exactly once, by whoever comes first: the thread with its
    /// result, the deadline, or the caller's cancellation.
    private final class Job: Sendable {
        let statement: PostgresConnection.Statement
        let deadline: ContinuousClock.Instant
        private let state = Mutex<(continuation: CheckedContinuation<PostgresRows, any Error>?, early: Result<PostgresRows, any Error>?, done: Bool)>(
            (nil, nil, false))

        init(statement: PostgresConnection.Statement, deadline: ContinuousClock.Instant) {
            self.statement = statement
            self.deadline = deadline
        }

        var isDone: Bool { state.withLock { $0.done } }

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

    /// Most statements in one pipeline, so one slow batch cannot hold the rest for long.
    static let maximumBatch = 512
    /// After a failed connect, statements fail at once for this long instead of each retrying.
    static let reconnectPause: TimeInterval = 0.1

    private let configuration: PostgresConfiguration
    private let deadlines: QueryDeadlines
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [Job] = []
    private var running: [Job] = []
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

    /// Answers every caller, queued or in the running batch, whose deadline has passed.
    private func expire(now: ContinuousClock.Instant) {
        condition.lock()
        let overdue = (jobs + running).filter { $0.deadline <= now }
        jobs.removeAll { $0.deadline <= now }
        condition.unlock()
        overdue.forEach { $0.finish(.failure(deadlines.error)) }
    }

    private func serve() {
        while let batch = nextBatch() {
            run(batch)
            condition.lock()
            running = []
            condition.unlock()
        }
        connection = nil
    }

    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while jobs.isEmpty && !closing { condition.wait() }
            if jobs.isEmpty { return nil }
            let batch = Array(jobs.prefix(Self.maximumBatch))
            jobs.removeFirst(batch.count)
            // Callers already answered (cancelled, or out of time) need nothing sent.
            running = batch.filter { !$0.isDone }
            if !running.isEmpty { return running }
        }
    }

    private func run(_ batch: [Job]) {
        let connection: PostgresConnection
        do {
            connection = try connected()
        } catch {
            let failure = error as? PostgresError ?? .unavailable("\(error)")
            batch.forEach { $0.finish(.failure(failure)) }
            return
        }
        let watch = deadlines.watch(connection, until: batch.map(\.deadline).min()!)
        let results = connection.runPipeline(batch.map(\.statement))
        let interrupted = deadlines.unwatch(watch)
        for (job, result) in zip(batch, results) {
            job.finish(result.mapError { $0 })
        }
        // A lost or interrupted connection, or one with results still unread, is closed; the
        // next batch opens another.
        if interrupted || connection.isConnectionLost || connection.isOutOfStep { self.connection = nil }
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

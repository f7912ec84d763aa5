import Foundation

/// One connection in pipeline mode with a thread of its own. Callers enqueue single statements;
/// the thread sends whatever has queued up as one pipeline and hands each caller its result.
/// Concurrent callers thus share round trips instead of each paying for one. Statements here run
/// outside transactions (autocommit); transactions take an exclusive connection from the pool.
final class PipelinedConnection: @unchecked Sendable {
    private struct Job {
        let statement: PostgresConnection.Statement
        let continuation: CheckedContinuation<PostgresRows, any Error>
    }

    /// Most statements in one pipeline, so one slow batch cannot hold the rest for long.
    static let maximumBatch = 512
    /// After a failed connect, statements fail at once for this long instead of each retrying.
    static let reconnectPause: TimeInterval = 0.1

    private let configuration: PostgresConfiguration
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [Job] = []
    private var closing = false
    // Touched only by the connection's thread.
    private var connection: PostgresConnection?
    private var lastConnectFailure: (at: Date, error: PostgresError)?

    init(configuration: PostgresConfiguration) {
        self.configuration = configuration
        // The thread keeps the connection alive until `close()` ends it.
        let thread = Thread { self.serve() }
        thread.name = "postgres-pipeline"
        thread.start()
    }

    func query(_ statement: PostgresConnection.Statement) async throws -> PostgresRows {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            guard !closing else {
                continuation.resume(throwing: PostgresError.unavailable("client closed"))
                return
            }
            jobs.append(Job(statement: statement, continuation: continuation))
            condition.signal()
        }
    }

    /// Lets queued statements finish, then closes the connection and ends the thread.
    func close() {
        condition.lock()
        closing = true
        condition.signal()
        condition.unlock()
    }

    private func serve() {
        while let batch = nextBatch() {
            run(batch)
        }
        connection = nil
    }

    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !closing { condition.wait() }
        if jobs.isEmpty { return nil }
        let batch = Array(jobs.prefix(Self.maximumBatch))
        jobs.removeFirst(batch.count)
        return batch
    }

    private func run(_ batch: [Job]) {
        let connection: PostgresConnection
        do {
            connection = try connected()
        } catch {
            let failure = error as? PostgresError ?? .unavailable("\(error)")
            batch.forEach { $0.continuation.resume(throwing: failure) }
            return
        }
        let results = connection.runPipeline(batch.map(\.statement))
        for (job, result) in zip(batch, results) {
            job.continuation.resume(with: result.mapError { $0 })
        }
        // A lost connection, or one with results still unread, is closed; the next batch opens another.
        if connection.isConnectionLost || connection.isOutOfStep { self.connection = nil }
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

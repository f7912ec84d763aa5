import Logging
import SwitchyardCore
import Synchronization

/// The async PostgreSQL client every PostgreSQL-using feature goes through: a pool of libpq
/// connections driven on threads of its own, bound parameters only.
public final class PostgresClient: PostgresQuerying {
    public let configuration: PostgresConfiguration
    /// Exclusive connections for transactions and COPY.
    private let pool: ConnectionPool
    /// Shared connections that pipeline single statements from concurrent callers.
    private let pipelines: [PipelinedConnection]
    private let nextPipeline = Atomic<Int>(0)
    private let deadlines: QueryDeadlines

    public init(configuration: PostgresConfiguration) {
        self.configuration = configuration
        deadlines = QueryDeadlines(timeout: configuration.queryTimeout)
        pool = ConnectionPool(configuration: configuration, deadlines: deadlines)
        pipelines = (0..<configuration.pipelinedConnections).map { [deadlines] _ in
            PipelinedConnection(configuration: configuration, deadlines: deadlines)
        }
    }

    /// Opens `postgres.pool-min` connections ahead of demand. Creating a client connects
    /// nothing: the host calls this when its service group starts; failures are left for the
    /// first query to meet.
    public func prewarm() async {
        await pool.prewarm()
    }

    /// A single statement outside any transaction, pipelined with other callers' statements.
    @discardableResult
    public func query(_ sql: String, parameters: [any PostgresEncodable]) async throws -> PostgresRows {
        let statement = PostgresConnection.Statement(sql: sql, parameters: parameters.map(\.postgresParameter))
        let index = nextPipeline.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await pipelines[index % pipelines.count].query(statement)
    }

    /// Runs `body` in one transaction on one connection: committed when it returns, rolled back
    /// when it throws (cancellation included). Serialization failures and deadlocks are retried
    /// up to `attempts` times in all, with the body run afresh.
    public func transaction<T: Sendable>(
        isolation: IsolationLevel = .readCommitted, attempts: Int = 1,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await transactionOnce(isolation: isolation, body)
            } catch let error as PostgresError where error.isRetryable && attempt < attempts {
                attempt += 1
            }
        }
    }

    private func transactionOnce<T: Sendable>(
        isolation: IsolationLevel, _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        let connection = try await pool.acquire()
        let transaction = PostgresTransaction(connection: connection, pool: pool)
        do {
            try await transaction.run { try $0.simpleQuery("BEGIN ISOLATION LEVEL \(isolation.rawValue)") }
            let result = try await body(transaction)
            // A transaction with a failed statement (whose error the body swallowed) is rolled
            // back by COMMIT: PostgreSQL answers `ROLLBACK`, which must not pass for success.
            let commit = try await transaction.run { try $0.simpleQuery("COMMIT") }
            guard commit.commandTag == "COMMIT" else {
                throw PostgresError.server(sqlState: "25P02", message: "the transaction was rolled back at COMMIT (\(commit.commandTag))")
            }
            transaction.end()
            pool.release(connection)
            return result
        } catch {
            transaction.end()
            // The rollback must run even when the task was cancelled (the unstructured task is
            // not); a connection still in a transaction is discarded by `release` either way, and
            // one lost or interrupted is not worth a round trip (closing it rolls back).
            if !connection.isConnectionLost && !connection.isOutOfStep {
                let pool = self.pool
                await Task { _ = try? await pool.run(on: connection) { try $0.simpleQuery("ROLLBACK") } }.value
            }
            pool.release(connection)
            throw error
        }
    }

    /// Loads rows with `COPY table (columns) FROM STDIN`; returns the number of rows copied.
    @discardableResult
    public func copyIn(_ sql: String, rows: [[any PostgresEncodable]]) async throws -> Int {
        // Encoding is CPU work in proportion to the rows: done on the pool's thread, not the caller's.
        try await pool.withConnection { try $0.copyIn(sql, data: try CopyFormat.encode(rows)) }
    }

    /// One statement on a connection of its own, outside any transaction block: for those
    /// PostgreSQL refuses inside one (`DETACH PARTITION ... CONCURRENTLY`, `VACUUM`).
    public func executeStandalone(_ sql: String) async throws {
        _ = try await pool.withConnection { try $0.simpleQuery(sql) }
    }

    /// Nil when a round trip works, otherwise why not.
    public func problem() async -> String? {
        do {
            _ = try await query("SELECT 1")
            return nil
        } catch {
            return "\(error)"
        }
    }

    public func close() async {
        pipelines.forEach { $0.close() }
        await pool.close()
        deadlines.close()
    }
}

public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// Statements inside one transaction, all on the transaction's connection. Calls from
/// concurrent tasks (`async let` on one transaction) take turns, since a libpq connection is one
/// thread's at a time; once `transaction { }` returns, the handle refuses every call, so a copy
/// kept past it cannot reach the connection's next borrower.
public final class PostgresTransaction: PostgresQuerying {
    let connection: PostgresConnection
    let pool: ConnectionPool
    private let turn = FIFOSemaphore(permits: 1)

    init(connection: PostgresConnection, pool: ConnectionPool) {
        self.connection = connection
        self.pool = pool
    }

    /// No call gets through after this; one waiting its turn fails.
    func end() {
        turn.close()
    }

    @discardableResult
    public func query(_ sql: String, parameters: [any PostgresEncodable]) async throws -> PostgresRows {
        let bound = parameters.map(\.postgresParameter)
        return try await run { try $0.query(sql, bound) }
    }

    /// Several statements at once through the simple protocol (no parameters): migrations.
    public func executeScript(_ sql: String) async throws {
        try await run { try $0.simpleQuery(sql) }
    }

    @discardableResult
    public func copyIn(_ sql: String, rows: [[any PostgresEncodable]]) async throws -> Int {
        try await run { try $0.copyIn(sql, data: try CopyFormat.encode(rows)) }
    }

    @discardableResult
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        do {
            try await turn.acquire()
        } catch is FIFOSemaphore.Closed {
            throw PostgresError.server(sqlState: "25000", message: "the transaction this handle belongs to has ended")
        }
        defer { turn.release() }
        return try await pool.run(on: connection, body)
    }
}

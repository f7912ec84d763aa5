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
    private let logger: Logger

    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "switchyard.postgres")) {
        self.configuration = configuration
        self.logger = logger
        deadlines = QueryDeadlines(timeout: configuration.queryTimeout)
        pool = ConnectionPool(configuration: configuration, deadlines: deadlines)
        pipelines = (0..<configuration.pipelinedConnections).map { [deadlines] _ in
            PipelinedConnection(configuration: configuration, deadlines: deadlines)
        }
    }

    /// Opens `postgres.pool-min` connections ahead of demand. Creating a client connects
    /// nothing: the host calls this when its service group starts; failures are left for the
    /// first query to meet.
    /// Then says what a connection found of its session: behind a pooler (so statements run
    /// unnamed, by `postgres.prepared-statements=auto`), and any setting not in effect.
    public func prewarm() async {
        await pool.prewarm()
        guard let session = try? await pool.withConnection({ $0.session }) else { return }
        if session.pooled {
            let named = configuration.preparedStatements == .named
            logger.info("postgres: behind a connection pooler; statements \(named ? "named" : "unnamed")")
        }
        if !session.differing.isEmpty {
            logger.warning(
                "postgres: session settings not in effect: \(session.differing.joined(separator: "; ")); a pooler in transaction mode runs SET in one server session only: set them on the role (ALTER ROLE ... SET) or the database"
            )
        }
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
    /// up to `attempts` times in all, with the body run afresh. A COMMIT whose answer never came
    /// throws `.outcomeUnknown`; every other failure means nothing was committed.
    /// `.maintenance` work (migrations, partitions, table rebuilds) has no client deadline and
    /// runs under `postgres.maintenance-timeout` as its statement and lock timeout instead.
    public func transaction<T: Sendable>(
        isolation: IsolationLevel = .readCommitted, attempts: Int = 1, work: PostgresWork = .request,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await transactionOnce(isolation: isolation, work: work, body)
            } catch let error as PostgresError where error.isRetryable && attempt < attempts {
                attempt += 1
            }
        }
    }

    private func transactionOnce<T: Sendable>(
        isolation: IsolationLevel, work: PostgresWork, _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        let connection = try await pool.acquire()
        let transaction = PostgresTransaction(connection: connection, pool: pool, deadline: work == .request)
        let timeout = configuration.maintenanceTimeoutMilliseconds
        let begin =
            "BEGIN ISOLATION LEVEL \(isolation.rawValue)"
            + (work == .maintenance ? "; SET LOCAL statement_timeout = \(timeout); SET LOCAL lock_timeout = \(timeout)" : "")
        let result: T
        do {
            try await transaction.run { try $0.simpleQuery(begin) }
            result = try await body(transaction)
        } catch {
            _ = try? await transaction.end(with: "ROLLBACK")
            pool.release(connection)
            // Nothing was committed: a statement that went unanswered went with its transaction.
            if let error = error as? PostgresError, error.isOutcomeUnknown { throw PostgresError.unavailable("\(error)") }
            throw error
        }
        do {
            // A transaction with a failed statement (whose error the body swallowed) is rolled
            // back by COMMIT: PostgreSQL answers `ROLLBACK`, which must not pass for success.
            let commit = try await transaction.end(with: "COMMIT")
            pool.release(connection)
            guard commit.commandTag == "COMMIT" else {
                throw PostgresError.server(sqlState: "25P02", message: "the transaction was rolled back at COMMIT (\(commit.commandTag))")
            }
            return result
        } catch let error as PostgresError where error.isUnavailable {
            pool.release(connection)
            throw PostgresError.outcomeUnknown("COMMIT sent, no answer: \(error)")
        } catch {
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

    /// One maintenance statement on a connection of its own, outside any transaction block: for
    /// those PostgreSQL refuses inside one (`DETACH PARTITION ... CONCURRENTLY`, `VACUUM`). No
    /// client deadline: `postgres.maintenance-timeout` bounds it on the server.
    public func executeStandalone(_ sql: String) async throws {
        let maintenance = configuration.maintenanceTimeoutMilliseconds
        let usual = configuration.statementTimeoutMilliseconds
        let connection = try await pool.acquire()
        defer { pool.release(connection) }
        try await pool.run(on: connection, deadline: false) { connection in
            // Behind a pooler a session SET would outlive this statement in some server session:
            // the role's timeouts apply there.
            guard !connection.session.pooled else {
                try connection.simpleQuery(sql)
                return
            }
            try connection.simpleQuery("SET statement_timeout = \(maintenance); SET lock_timeout = \(maintenance)")
            defer {
                // A connection that cannot be put back as it was is not lent again.
                do {
                    try connection.simpleQuery("SET statement_timeout = \(usual); SET lock_timeout = 0")
                } catch {
                    connection.isOutOfStep = true
                }
            }
            try connection.simpleQuery(sql)
        }
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

/// What a transaction is for: a request's work, due within `postgres.query-timeout`, or
/// maintenance (migrations, partitions, rebuilding a table), bounded by
/// `postgres.maintenance-timeout` on the server instead.
public enum PostgresWork: Sendable {
    case request
    case maintenance
}

/// Statements inside one transaction, all on the transaction's connection. Calls from
/// concurrent tasks (`async let` on one transaction) take turns, since a libpq connection is one
/// thread's at a time. COMMIT and ROLLBACK take the last turn and close the handle while holding
/// it: a call still waiting then, or made later by a copy kept past `transaction { }`, fails
/// with 25000 and never reaches the connection or its next borrower. A connection interrupted
/// by a deadline refuses every later call the same way.
public final class PostgresTransaction: PostgresQuerying {
    let connection: PostgresConnection
    let pool: ConnectionPool
    private let deadline: Bool
    private let turn = FIFOSemaphore(permits: 1)

    init(connection: PostgresConnection, pool: ConnectionPool, deadline: Bool) {
        self.connection = connection
        self.pool = pool
        self.deadline = deadline
    }

    /// Takes the last turn, runs `sql` (COMMIT or ROLLBACK) in it unless the connection can no
    /// longer be trusted, and closes the handle.
    @discardableResult
    func end(with sql: String) async throws -> PostgresRows {
        // The last turn is taken even if the caller was cancelled: the connection must be quiet
        // before it goes back to the pool.
        let taken: Void? = await Task { try? await self.turn.acquire() }.value
        defer { turn.close() }
        guard taken != nil, !connection.isOutOfStep, !connection.isConnectionLost else {
            throw PostgresError.unavailable("the transaction's connection was interrupted")
        }
        let (connection, pool, deadline) = (self.connection, self.pool, self.deadline)
        // The unstructured task runs to the end even when the caller was cancelled.
        return try await Task { try await pool.run(on: connection, deadline: deadline) { try $0.simpleQuery(sql) } }.value
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
        // A deadline fired on an earlier call (its answer may have come, but a cancel is on its
        // way): the transaction cannot go on, and nothing of it will commit. A 503, not a misuse.
        guard !connection.isOutOfStep else {
            throw PostgresError.unavailable("the transaction's connection was interrupted by a deadline")
        }
        return try await pool.run(on: connection, deadline: deadline, body)
    }
}

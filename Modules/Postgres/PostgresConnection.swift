internal import CLibPQ
import Foundation

/// One libpq connection, driven with libpq's blocking calls on a thread the pool owns (never an
/// event loop, never the cooperative pool). The pool lends it to one caller at a time; that is
/// the whole of its thread safety.
final class PostgresConnection: @unchecked Sendable {
    let connection: OpaquePointer
    /// The statements this connection keeps prepared.
    var statements: StatementCache
    /// Set when a pipeline stopped with statements sent but not read: their results would go to
    /// the next caller, so the connection must be closed, never reused.
    var isOutOfStep = false

    /// What PQcancel needs, taken while connecting: usable from another thread, and kept
    /// until deinit so a cancel still on its way never meets freed memory.
    private var cancelHandle: OpaquePointer?

    private init(connection: OpaquePointer, statementCacheSize: Int) {
        self.connection = connection
        statements = StatementCache(capacity: statementCacheSize)
    }

    private var closed = false

    /// Says goodbye to the server and frees the connection. It may block on the socket, so its
    /// owner calls it on a thread of its own; deinit only catches a connection never closed.
    func close() {
        guard !closed else { return }
        closed = true
        PQfinish(connection)
    }

    deinit {
        close()
        if let cancelHandle { PQfreeCancel(cancelHandle) }
    }

    /// A cancel request can be sent: not behind a pooler (see `connect`).
    var canCancel: Bool { cancelHandle != nil }

    /// Asks the server to stop the statement running now. Blocking; from any thread.
    func requestCancel() {
        guard let cancelHandle else { return }
        var message = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &message, Int32(message.count))
    }

    /// Shuts the socket down under a libpq call blocked on it, which then returns with the
    /// connection lost. From any thread, while the connection is open.
    func severSocket() {
        let socket = PQsocket(connection)
        if socket >= 0 { shutdown(socket, Int32(SHUT_RDWR)) }
    }

    /// What connecting found of the server's session.
    struct Session: Sendable, Equatable {
        /// Behind a pooler: `options` was refused, or accepted and not applied.
        var pooled = false
        /// Settings not in effect (with the value found): behind a pooler, `statement_timeout`
        /// and `jit` come from the role or the database (`ALTER ROLE ... SET`).
        var differing: [String] = []
    }

    private(set) var session = Session()

    /// Connects with the configuration's parameters (the connection string's own, the session
    /// settings in `options`), as separate keywords so nothing is expanded twice. A pooler that
    /// refuses `options` (pgbouncer) is connected to without it; where the settings are not in
    /// effect either way, those the pooler keeps per client are `SET`, the rest are reported,
    /// and the statements run unnamed unless `postgres.prepared-statements` says `named`.
    static func connect(_ configuration: PostgresConfiguration) throws -> PostgresConnection {
        let connection: PostgresConnection
        do {
            connection = try open(configuration.connectionParameters(), configuration)
        } catch PostgresError.unavailable(let message) where message.contains("unsupported startup parameter") {
            connection = try open(configuration.connectionParameters(sendingOptions: false), configuration)
            connection.session.pooled = true
        }
        var differing = try connection.settingsDiffering(from: configuration.sessionSettings)
        if !differing.isEmpty {
            connection.session.pooled = true
            // Only the settings a pooler keeps per client (pgbouncer: DateStyle, TimeZone,
            // client_encoding): in transaction mode any other SET stays in one server session and
            // reaches whichever client gets that session next.
            let kept = differing.filter { PostgresConfiguration.poolerKeptSettings.contains($0.name) }
            if !kept.isEmpty { try connection.simpleQuery(kept.map { "SET \($0.name) = '\($0.value)'" }.joined(separator: "; ")) }
            differing = try connection.settingsDiffering(from: configuration.sessionSettings)
            connection.session.differing = differing.map { "\($0.name) is \($0.found), not \($0.value)" }
        }
        if connection.session.pooled {
            // A cancel request reaches whichever server session the pooler last gave this
            // client; in transaction pooling that may by then be running another client's
            // statement (or, in pgbouncer 1.18, setting up another client's session, whose
            // statement then fails). Behind a pooler a deadline cuts the connection instead.
            connection.cancelHandle.map(PQfreeCancel)
            connection.cancelHandle = nil
        }
        let named = configuration.preparedStatements == .named || (configuration.preparedStatements == .auto && !connection.session.pooled)
        connection.statements = StatementCache(capacity: named ? configuration.statementCacheSize : 0)
        return connection
    }

    private static func open(
        _ parameters: [(keyword: String, value: String)], _ configuration: PostgresConfiguration
    ) throws -> PostgresConnection {
        let handle = withCStrings(parameters.map(\.keyword)) { keywordPointers in
            withCStrings(parameters.map(\.value)) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, 0)
            }
        }
        guard let handle else { throw PostgresError.unavailable("out of memory") }
        let connection = PostgresConnection(connection: handle, statementCacheSize: configuration.statementCacheSize)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError.unavailable(connection.errorMessage)
        }
        // libpq prints server notices to stderr by default; they are not errors, drop them.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        connection.cancelHandle = PQgetCancel(handle)
        return connection
    }

    /// The wanted settings not in effect, with the value found (one round trip). `DateStyle`
    /// counts as set when its output style is ISO; a setting the server lacks (`jit` where
    /// PostgreSQL was built without it) is left out.
    private func settingsDiffering(
        from wanted: [(name: String, value: String)]
    ) throws -> [(name: String, value: String, found: String)] {
        let names = wanted.map { "'\($0.name)'" }.joined(separator: ", ")
        let rows = try simpleQuery("SELECT name, setting FROM pg_settings WHERE name IN (\(names))")
        var found: [String: String] = [:]
        for row in rows.rows { found[try row.decode(String.self, "name")] = try row.decode(String.self, "setting") }
        return wanted.compactMap { name, value in
            guard let setting = found[name] else { return nil }
            let matches = name == "DateStyle" ? setting.hasPrefix(value) : setting == value
            return matches ? nil : (name, value, setting)
        }
    }

    /// True once libpq has seen the socket fail.
    var isConnectionLost: Bool { PQstatus(connection) != CONNECTION_OK }

    /// Connected and outside any transaction: safe to lend to the next caller. Anything else is
    /// discarded rather than lend out its state.
    var isReusable: Bool { !isConnectionLost && !isOutOfStep && PQtransactionStatus(connection) == PQTRANS_IDLE }

    /// A statement with bound parameters, prepared once it repeats (`StatementCache`).
    func query(_ sql: String, _ parameters: [PostgresParameter]) throws -> PostgresRows {
        for name in statements.takeEvicted() { _ = try? simpleQuery("DEALLOCATE \(name)") }
        var name: String?
        switch statements.plan(sql) {
        case .prepared(let known):
            name = known
        case .prepare(let fresh):
            _ = try consume(PQprepare(connection, fresh, sql, Int32(parameters.count), nil))
            statements.didPrepare(sql, as: fresh)
            name = fresh
        case .unnamed:
            break
        }
        let result = try withParameters(parameters) { values, lengths, formats in
            if let name {
                PQexecPrepared(connection, name, Int32(parameters.count), values, lengths, formats, 0)
            } else {
                PQexecParams(connection, sql, Int32(parameters.count), nil, values, lengths, formats, 0)
            }
        }
        return try consume(result)
    }

    /// Statements without parameters through the simple protocol: transaction control and
    /// migrations, which may hold several statements.
    @discardableResult
    func simpleQuery(_ sql: String) throws -> PostgresRows {
        try consume(PQexec(connection, sql))
    }

    /// `COPY ... FROM STDIN` with the rows already in COPY's text format.
    func copyIn(_ sql: String, data: [UInt8]) throws -> Int {
        let start = PQexec(connection, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try consume(start)
            throw PostgresError.server(sqlState: "XX000", message: "statement did not start COPY FROM STDIN")
        }
        PQclear(start)
        let chunk = 1 << 20
        var failure: String?
        data.withUnsafeBufferPointer { bytes in
            var offset = 0
            while offset < bytes.count, failure == nil {
                let count = min(chunk, bytes.count - offset)
                let sent = bytes.baseAddress!.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: count) {
                    PQputCopyData(connection, $0, Int32(count))
                }
                if sent != 1 { failure = errorMessage }
                offset += count
            }
        }
        guard PQputCopyEnd(connection, failure) == 1 else { throw unavailableOrServerError(nil) }
        return try consume(PQgetResult(connection)).affectedRows
    }

    // MARK: Results and errors

    /// Copies a result out, frees it, and drains libpq so the connection is ready again.
    private func consume(_ result: OpaquePointer?) throws -> PostgresRows {
        defer {
            PQclear(result)
            while let extra = PQgetResult(connection) { PQclear(extra) }
        }
        guard let result else { throw unavailableOrServerError(nil) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_SINGLE_TUPLE:
            return rows(of: result)
        default:
            throw statementError(result)
        }
    }

    func rows(of result: OpaquePointer) -> PostgresRows {
        let columnCount = PQnfields(result)
        let rowCount = PQntuples(result)
        let columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        let values = (0..<rowCount).map { row in
            (0..<columnCount).map { column -> String? in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(
            columns: columns, values: values, affectedRows: affected, commandTag: String(cString: PQcmdStatus(result)))
    }

    /// A failed statement's error on a live connection: its SQLSTATE, or XX000 with libpq's
    /// description for results that carry none (an empty query, say).
    func statementError(_ result: OpaquePointer) -> PostgresError {
        if isConnectionLost { return .unavailable(errorMessage) }
        let field = { (code: UInt8) in PQresultErrorField(result, Int32(code)).map { String(cString: $0) } }
        let message = field(UInt8(ascii: "M")) ?? String(cString: PQresStatus(PQresultStatus(result)))
        return .server(sqlState: field(UInt8(ascii: "C")) ?? "XX000", message: message)
    }

    func unavailableOrServerError(_ result: OpaquePointer?) -> PostgresError {
        if isConnectionLost { return .unavailable(errorMessage) }
        guard let result, let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))) else {
            return .unavailable(errorMessage)
        }
        let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? errorMessage
        return .server(sqlState: String(cString: state), message: message)
    }

    var errorMessage: String {
        String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Lays the parameters out as libpq wants them, valid for the duration of `body`.
    func withParameters<T>(
        _ parameters: [PostgresParameter],
        _ body: ([UnsafePointer<CChar>?], [Int32], [Int32]) throws -> T
    ) throws -> T {
        var buffers: [UnsafeMutableRawPointer?] = []
        defer { buffers.forEach { free($0) } }
        var lengths: [Int32] = []
        var formats: [Int32] = []
        for parameter in parameters {
            switch parameter {
            case .null:
                buffers.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                // Text parameters are NUL-terminated for libpq; PostgreSQL rejects NUL in text too.
                guard !text.utf8.contains(0) else {
                    throw PostgresError.server(sqlState: "22021", message: "text parameters cannot contain NUL bytes")
                }
                buffers.append(UnsafeMutableRawPointer(strdup(text)))
                lengths.append(0)
                formats.append(0)
            case .binary(let bytes):
                let buffer = malloc(max(bytes.count, 1))!
                bytes.withUnsafeBytes { source in
                    if let base = source.baseAddress { buffer.copyMemory(from: base, byteCount: source.count) }
                }
                buffers.append(buffer)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        let values = buffers.map { $0.map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) } }
        return try body(values, lengths, formats)
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the call.
private func withCStrings<T>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> T) -> T {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) } + [nil])
}

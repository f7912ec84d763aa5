/// What can go wrong talking to PostgreSQL.
public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No usable connection: refused, dropped, pool acquire timed out, or client closed. The
    /// statement did not take effect: it was never sent, or the server is known to have stopped it.
    case unavailable(String)
    /// The statement (or COMMIT) was sent but its answer never came: it may or may not have taken
    /// effect. Never compensate it blindly: reconcile with what the database holds.
    case outcomeUnknown(String)
    /// The server rejected the statement; `sqlState` tells which way.
    case server(sqlState: String, message: String)
    /// A column could not be decoded into the requested type.
    case decoding(String)
    /// `postgres.url` cannot be used.
    case invalidURL(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "PostgreSQL unavailable: \(reason)"
        case .outcomeUnknown(let reason): "PostgreSQL did not answer a statement it was sent (it may have taken effect): \(reason)"
        case .server(let state, let message): "PostgreSQL error \(state): \(message)"
        case .decoding(let detail): "PostgreSQL decoding error: \(detail)"
        case .invalidURL(let reason): "invalid PostgreSQL URL: \(reason)"
        }
    }

    public var sqlState: String? {
        if case .server(let state, _) = self { return state }
        return nil
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isCheckViolation: Bool { sqlState == "23514" }
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    /// Serialization failure or deadlock: the transaction may simply be retried.
    public var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
    /// The connection, not the statement, failed, or the statement ran out of time: callers
    /// answer 503.
    public var isUnavailable: Bool {
        switch self {
        case .unavailable, .outcomeUnknown: return true
        default: break
        }
        // Class 08 is connection exceptions; 57P0x is the server shutting down or restarting;
        // 57014 a statement cancelled (its deadline, or statement_timeout).
        guard let state = sqlState else { return false }
        return state.hasPrefix("08") || state.hasPrefix("57P") || state == "57014"
    }

    public var isOutcomeUnknown: Bool {
        if case .outcomeUnknown = self { return true }
        return false
    }
}

/// What can go wrong talking to PostgreSQL.
public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No usable connection: refused, dropped, pool acquire timed out, or client closed.
    case unavailable(String)
    /// The server rejected the statement; `sqlState` tells which way.
    case server(sqlState: String, message: String)
    /// A column could not be decoded into the requested type.
    case decoding(String)
    /// `postgres.url` cannot be used.
    case invalidURL(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "PostgreSQL unavailable: \(reason)"
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
    /// The connection, not the statement, failed: callers answer 503.
    public var isUnavailable: Bool {
        if case .unavailable = self { return true }
        // Class 08 is connection exceptions; 57P0x is the server shutting down or restarting.
        guard let state = sqlState else { return false }
        return state.hasPrefix("08") || state.hasPrefix("57P")
    }
}

import Foundation

/// Where and how to connect, from `postgres://user:pass@host:port/db?sslmode=...`.
public struct PostgresConfiguration: Sendable {
    /// Handed to libpq as is, so every libpq URL parameter (sslmode, ...) works.
    public var url: String
    public var maxConnections: Int
    /// Connections that carry single statements in pipeline mode, shared by all callers.
    public var pipelinedConnections: Int
    /// Connections opened ahead of demand when the client is created.
    public var minConnections: Int
    public var acquireTimeout: Duration
    public var statementTimeout: Duration
    public var connectTimeoutSeconds: Int

    public init(
        url: String, minConnections: Int = 1, maxConnections: Int = 10, pipelinedConnections: Int = 2,
        acquireTimeout: Duration = .seconds(5),
        statementTimeout: Duration = .seconds(30), connectTimeoutSeconds: Int = 5
    ) throws {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
        else {
            throw PostgresError.invalidURL("expected postgres://user:password@host:port/database")
        }
        guard let host = components.host, !host.isEmpty else { throw PostgresError.invalidURL("no host") }
        guard components.path.count > 1 else { throw PostgresError.invalidURL("no database name") }
        self.url = url
        self.maxConnections = max(1, maxConnections)
        self.minConnections = min(max(0, minConnections), self.maxConnections)
        self.pipelinedConnections = max(1, pipelinedConnections)
        self.acquireTimeout = acquireTimeout
        self.statementTimeout = statementTimeout
        self.connectTimeoutSeconds = max(1, connectTimeoutSeconds)
    }

    var statementTimeoutMilliseconds: Int64 { statementTimeout / .milliseconds(1) > 0 ? Int64(statementTimeout / .milliseconds(1)) : 0 }
}

import Foundation

/// Where and how to connect, from `redis://[user:password@]host:port/db`.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// Connections shared by all callers; commands are pipelined on each.
    public var connections: Int
    /// How long a command may wait for its reply before the connection is reset.
    public var commandTimeout: Duration

    public init(url: String, connections: Int = 2, commandTimeout: Duration = .seconds(2)) throws {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "redis" else {
            throw RedisError.invalidURL("expected redis://[user:password@]host:port/db (TLS is not supported)")
        }
        guard let host = components.host, !host.isEmpty else { throw RedisError.invalidURL("no host") }
        self.host = host
        port = components.port ?? 6379
        username = components.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        password = components.password?.removingPercentEncoding
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else {
            throw RedisError.invalidURL("the path must be a database number")
        }
        self.database = database
        self.connections = max(1, connections)
        self.commandTimeout = commandTimeout
    }
}

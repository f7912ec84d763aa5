internal import CLibPQ
import Foundation

/// Where and how to connect: anything libpq accepts, a `postgres://` URI or `key=value` pairs
/// (Unix sockets through `host=/run/postgresql`, several hosts, `sslmode`, `connect_timeout`, ...).
/// libpq's own parser validates it, so what works with `psql` works here.
public struct PostgresConfiguration: Sendable {
    /// The connection string as given (it may hold a password: never log it).
    public var url: String
    /// libpq's parameters from `url`, only those it sets.
    let parameters: [String: String]
    public var maxConnections: Int
    /// Connections that carry single statements in pipeline mode, shared by all callers.
    public var pipelinedConnections: Int
    /// Connections opened ahead of demand by `PostgresClient.prewarm()`.
    public var minConnections: Int
    public var acquireTimeout: Duration
    public var statementTimeout: Duration
    /// The client's own deadline for one statement, queueing included (`QueryDeadlines`).
    public var queryTimeout: Duration
    /// Most statements waiting for each pipelined connection; beyond it, 503 at once.
    public var maxQueuedStatements: Int
    /// Used unless the connection string sets `connect_timeout` itself.
    public var connectTimeoutSeconds: Int
    /// Most statements each connection keeps prepared (`StatementCache`).
    public var statementCacheSize: Int
    /// `statement_timeout` and `lock_timeout` for migrations and partition maintenance, which
    /// run without the client's query deadline; zero waits as long as they take.
    public var maintenanceTimeout: Duration
    /// Whether repeated statements are prepared under names the connection keeps.
    public var preparedStatements: PreparedStatements

    /// Named prepared statements live in a server session. A pooler in transaction mode
    /// (pgbouncer before 1.21) hands each transaction any server session, where another client's
    /// statement of the same name may wait: such statements must run unnamed.
    public enum PreparedStatements: String, Sendable, CaseIterable {
        /// Named, unless the connection finds itself behind a pooler (it refused the `options`
        /// startup parameter, or accepted it and applied none of it).
        case auto
        case named
        case unnamed
    }

    public init(
        url: String, minConnections: Int = 1, maxConnections: Int = 10, pipelinedConnections: Int = 2,
        acquireTimeout: Duration = .seconds(5),
        statementTimeout: Duration = .seconds(30), queryTimeout: Duration = .seconds(10), maxQueuedStatements: Int = 4096,
        connectTimeoutSeconds: Int = 5, statementCacheSize: Int = 100, maintenanceTimeout: Duration = .seconds(600),
        preparedStatements: PreparedStatements = .auto
    ) throws {
        self.url = url
        parameters = try Self.parse(url)
        self.maxConnections = max(1, maxConnections)
        self.minConnections = min(max(0, minConnections), self.maxConnections)
        self.pipelinedConnections = max(1, pipelinedConnections)
        self.acquireTimeout = acquireTimeout
        self.statementTimeout = statementTimeout
        self.queryTimeout = queryTimeout
        self.maxQueuedStatements = max(1, maxQueuedStatements)
        self.connectTimeoutSeconds = max(1, connectTimeoutSeconds)
        self.statementCacheSize = max(0, statementCacheSize)
        self.maintenanceTimeout = maintenanceTimeout
        self.preparedStatements = preparedStatements
    }

    var statementTimeoutMilliseconds: Int64 { Self.milliseconds(statementTimeout) }
    var maintenanceTimeoutMilliseconds: Int64 { Self.milliseconds(maintenanceTimeout) }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration / .milliseconds(1) > 0 ? Int64(duration / .milliseconds(1)) : 0
    }

    /// The session settings every query relies on: ISO dates in UTC, the statement timeout,
    /// no JIT (statements are prepared: a generic plan's estimate can pass `jit_above_cost` for
    /// a read of a few rows, which then spends 10-30 ms compiling).
    var sessionSettings: [(name: String, value: String)] {
        [
            ("DateStyle", "ISO"), ("TimeZone", "UTC"), ("client_encoding", "UTF8"),
            ("statement_timeout", "\(statementTimeoutMilliseconds)"), ("jit", "off"),
        ]
    }

    /// The session settings a pooler keeps per client and sets again in whichever server session
    /// it hands the client (pgbouncer's tracked parameters).
    static let poolerKeptSettings: Set<String> = ["DateStyle", "TimeZone", "client_encoding"]

    /// What `PQconnectdbParams` gets: the defaults below, then everything the connection string
    /// sets (it wins), then, with `sendingOptions`, `options` with the session settings ahead of
    /// the string's own, so they cost no round trip. A pooler that refuses `options` gets them
    /// by `SET` after connecting instead (`PostgresConnection.connect`).
    /// The TCP defaults make a dead peer or a black-holed network an error within seconds
    /// instead of the kernel's minutes: keepalive probes after 10 s idle, and unacknowledged
    /// data given up on after 10 s.
    func connectionParameters(sendingOptions: Bool = true) -> [(keyword: String, value: String)] {
        var merged = [
            "connect_timeout": "\(connectTimeoutSeconds)", "application_name": "switchyard", "keepalives": "1",
            "keepalives_idle": "10", "keepalives_interval": "5", "keepalives_count": "3", "tcp_user_timeout": "10000",
        ]
        merged.merge(parameters) { _, given in given }
        if sendingOptions {
            let session = sessionSettings.map { "-c \($0.name)=\($0.value)" }
            merged["options"] = (session + [parameters["options"]].compactMap { $0 }).joined(separator: " ")
        } else {
            merged["options"] = nil
        }
        return merged.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// libpq's `PQconninfoParse`; its complaint, with anything that may be a secret blanked out.
    static func parse(_ connectionString: String) throws -> [String: String] {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &error) else {
            let message = error.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(error)
            throw PostgresError.invalidURL(
                redacted(message.trimmingCharacters(in: .whitespacesAndNewlines), secrets: secretParts(of: connectionString)))
        }
        defer { PQconninfoFree(options) }
        var parameters: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { parameters[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return parameters
    }

    /// The parts of a connection string that may hold a password: a URI's user info, and the
    /// rest of a `key=value` string from `password=` on.
    static func secretParts(of connectionString: String) -> [String] {
        var parts: [String] = []
        if let scheme = connectionString.range(of: "://") {
            let rest = connectionString[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@") { parts.append(String(authority[..<at])) }
        }
        if let password = connectionString.range(of: "password") {
            parts.append(String(connectionString[password.upperBound...]))
        }
        return parts.filter { !$0.isEmpty }
    }

    /// Keeps a quoted fragment of libpq's message only when it reads as a parameter name (letters
    /// and `_`) or is `=`, and overlaps no secret part; anything else libpq quoted may be a password.
    static func redacted(_ message: String, secrets: [String]) -> String {
        let pieces = message.split(separator: "\"", omittingEmptySubsequences: false)
        return pieces.enumerated().map { index, piece in
            // Odd pieces sit between quotes.
            guard index % 2 == 1 else { return String(piece) }
            let isName = piece == "=" || (!piece.isEmpty && piece.allSatisfy { ($0.isASCII && $0.isLetter) || $0 == "_" })
            let overlaps = secrets.contains { $0.contains(piece) || piece.contains($0) }
            return isName && !overlaps ? String(piece) : "(redacted)"
        }.joined(separator: "\"")
    }
}

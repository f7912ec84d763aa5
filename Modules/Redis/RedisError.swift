/// What can go wrong talking to Redis.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection could be used: refused, dropped, authentication failed, or backing off.
    case unavailable(String)
    /// No reply within the command timeout; the connection was reset.
    case timeout
    /// Redis answered with an error reply (`ERR ...`, `WRONGTYPE ...`, `NOSCRIPT ...`).
    case server(String)
    /// A reply of a shape the helper did not expect.
    case unexpectedReply(String)
    /// `redis.url` cannot be used.
    case invalidURL(String)
    /// A command that would change or block a shared connection for every other caller.
    case refused(String)
    /// In cluster mode: a command or script whose keys are in different hash slots (the keys
    /// named), refused before sending; keys meant to meet share a hash tag.
    case crossSlot(String)
    /// In cluster mode: a command whose keys the adapter cannot find, so cannot route.
    case notRoutable(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "Redis unavailable: \(reason)"
        case .timeout: "Redis command timed out"
        case .server(let message): "Redis error: \(message)"
        case .unexpectedReply(let detail): "unexpected Redis reply: \(detail)"
        case .invalidURL(let reason): "invalid Redis URL: \(reason)"
        case .refused(let command): "Redis command \(command) is refused on shared connections: it changes or blocks the connection for every caller"
        case .crossSlot(let keys): "Redis keys \(keys) are in different cluster hash slots; give them one hash tag"
        case .notRoutable(let command): "Redis command \(command) cannot be routed in cluster mode: its keys are not known to the adapter"
        }
    }

    /// True for failures of the connection rather than of the command, for the error replies
    /// of a Redis that cannot serve commands just now (loading its data after a restart, busy
    /// with a script, a replica cut off or read-only, out of memory), and for replies that hold
    /// what the product never wrote (a score that is no count): callers answer 503, and the same
    /// request succeeds once Redis is back or mended.
    public var isUnavailable: Bool {
        switch self {
        case .unavailable, .timeout, .unexpectedReply: true
        case .server(let message): Self.transientReplies.contains(message.prefix { $0 != " " })
        default: false
        }
    }

    static let transientReplies: Set<Substring> = [
        "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "READONLY", "OOM", "NOREPLICAS", "MOVED", "ASK",
    ]
}

import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The async Redis client every Redis-using feature goes through: a few connections shared by
/// all callers, commands from concurrent tasks pipelined on them, never blocking an event loop.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let servers: Servers
    private let scripts = Mutex<[String: String]>([:])

    /// One server, or a cluster routed by slot.
    private enum Servers {
        case standalone(RedisNode)
        case cluster(ClusterRouter)
    }

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "switchyard.redis")
    ) {
        self.configuration = configuration
        if let seeds = configuration.clusterSeeds {
            servers = .cluster(ClusterRouter(configuration: configuration, seeds: seeds, eventLoopGroup: eventLoopGroup, logger: logger))
        } else {
            servers = .standalone(RedisNode(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger))
        }
    }

    public var isCluster: Bool {
        if case .cluster = servers { return true }
        return false
    }

    /// The standalone server's connections (none in cluster mode).
    var connections: [RedisConnection] {
        if case .standalone(let node) = servers { return node.connections }
        return []
    }

    /// Commands that change a connection's state (database, transaction, subscriptions, reply
    /// mode, authentication, a replication stream) or block it: on a connection every caller shares, one caller's
    /// command would change or stall everyone's. `transaction(_:)` sends MULTI/EXEC itself, in
    /// one write no other caller's command can split.
    static let refusedCommands: Set<String> = [
        "SELECT", "SWAPDB", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE",
        "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR", "RESET", "QUIT", "AUTH", "HELLO", "CLIENT", "BLPOP",
        "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF", "XREAD", "XREADGROUP",
        "SYNC", "PSYNC", "REPLCONF",
    ]

    static func check(_ commands: [RedisCommand]) throws {
        for command in commands where refusedCommands.contains(command.name) {
            // CLIENT INFO, CLIENT ID and the like only read; the rest of CLIENT changes the connection.
            if command.name == "CLIENT", command.arguments.count > 1,
                ["INFO", "ID", "GETNAME", "LIST"].contains(String(decoding: command.arguments[1], as: UTF8.self).uppercased())
            {
                continue
            }
            // XREAD and XREADGROUP block only with BLOCK.
            if command.name.hasPrefix("XREAD"),
                !command.arguments.contains(where: { String(decoding: $0, as: UTF8.self).uppercased() == "BLOCK" })
            {
                continue
            }
            throw RedisError.refused(command.name)
        }
    }

    /// Sends one command. An error reply throws `RedisError.server`.
    @discardableResult
    public func send(_ command: RedisCommand, _ durability: Durability = .primary) async throws -> RedisReply {
        try Self.check([command])
        let reply = try await write([command], durability)[0]
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    @discardableResult
    public func send(_ name: String, _ arguments: any RedisArgument...) async throws -> RedisReply {
        try await send(RedisCommand(name, arguments))
    }

    /// Sends the commands back to back on one connection (in cluster mode, on one connection
    /// per master that serves them) and returns every reply in order; error replies are returned
    /// as `.error`, not thrown.
    public func pipeline(_ commands: [RedisCommand], _ durability: Durability = .primary) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        try Self.check(commands)
        switch servers {
        case .standalone(let node):
            return try await durability == .replicated ? node.writeReplicated(commands) : node.write(commands)
        case .cluster(let router): return try await router.pipeline(commands, replicated: durability == .replicated)
        }
    }

    /// When a write counts as done. `.replicated` is for writes whose loss in a failover would
    /// break an exactness promise: the call returns once `redis.wait-replicas` replicas have
    /// it, and fails as unavailable (a 503, with the write done on the primary only) when they
    /// do not confirm within `redis.wait-timeout`. With `redis.wait-replicas` 0 both are the same.
    public enum Durability: Sendable {
        case primary, replicated
    }

    /// Runs the commands atomically (MULTI ... EXEC) and returns EXEC's replies.
    public func transaction(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        try Self.check(commands)
        let replies = try await write([RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")])
        for reply in replies.dropLast() {
            if case .error(let message) = reply { throw RedisError.server(message) }
        }
        if let results = replies.last?.array { return results }
        switch replies.last {
        case .error(let message)?: throw RedisError.server(message)
        default: throw RedisError.unexpectedReply("EXEC returned \(String(describing: replies.last))")
        }
    }

    /// Runs a Lua script by its SHA1 (EVALSHA); where Redis does not know it (a restart, SCRIPT
    /// FLUSH, a cluster node other than the one it was loaded on, a promoted replica) by its
    /// source (EVAL), which loads it there.
    @discardableResult
    public func evalScript(
        _ source: String, keys: [any RedisArgument], arguments: [any RedisArgument] = [],
        _ durability: Durability = .primary
    ) async throws -> RedisReply {
        let sha: String
        if let cached = scripts.withLock({ $0[source] }) {
            sha = cached
        } else {
            sha = try await loadScript(source)
        }
        let tail: [any RedisArgument] = [keys.count] + keys + arguments
        do {
            return try await send(RedisCommand("EVALSHA", [sha] + tail), durability)
        } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {
            return try await send(RedisCommand("EVAL", [source] + tail), durability)
        }
    }

    private func loadScript(_ source: String) async throws -> String {
        guard let sha = try await send("SCRIPT", "LOAD", source).string else {
            throw RedisError.unexpectedReply("SCRIPT LOAD returned no SHA1")
        }
        scripts.withLock { $0[source] = sha }
        return sha
    }

    /// Nil when Redis (every master of a cluster, all slots served) answers PING, otherwise why not.
    public func problem() async -> String? {
        do {
            for reply in try await sendToEveryMaster(RedisCommand("PING")) where reply != .status("PONG") {
                return "unexpected PING reply"
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Sends a command without keys to the server, or to every master of a cluster (FLUSHDB,
    /// SCRIPT FLUSH, DBSIZE...), and returns their replies; an error reply throws.
    @discardableResult
    public func sendToEveryMaster(_ command: RedisCommand) async throws -> [RedisReply] {
        try Self.check([command])
        let nodes: [RedisNode]
        switch servers {
        case .standalone(let node): nodes = [node]
        case .cluster(let router): nodes = try await router.masters()
        }
        var replies: [RedisReply] = []
        for node in nodes {
            let reply = try await node.write([command])[0]
            if case .error(let message) = reply { throw RedisError.server(message) }
            replies.append(reply)
        }
        return replies
    }

    /// Closes every connection; later commands fail with `unavailable`.
    public func close() async {
        switch servers {
        case .standalone(let node): await node.close()
        case .cluster(let router): await router.close()
        }
    }

    private func write(_ commands: [RedisCommand], _ durability: Durability = .primary) async throws -> [RedisReply] {
        switch (servers, durability) {
        case (.standalone(let node), .primary): try await node.write(commands)
        case (.standalone(let node), .replicated): try await node.writeReplicated(commands)
        case (.cluster(let router), _): try await router.write(commands, replicated: durability == .replicated)
        }
    }
}

import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The async Redis client every Redis-using feature goes through: a few connections shared by
/// all callers, commands from concurrent tasks pipelined on them, never blocking an event loop.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    let connections: [RedisConnection]
    private let nextConnection = Atomic<Int>(0)
    private let scripts = Mutex<[String: String]>([:])

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "switchyard.redis")
    ) {
        self.configuration = configuration
        connections = (0..<configuration.connections).map { _ in
            RedisConnection(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
        }
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
    public func send(_ command: RedisCommand) async throws -> RedisReply {
        try Self.check([command])
        let reply = try await write([command])[0]
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }

    @discardableResult
    public func send(_ name: String, _ arguments: any RedisArgument...) async throws -> RedisReply {
        try await send(RedisCommand(name, arguments))
    }

    /// Sends the commands back to back on one connection and returns every reply in order;
    /// error replies are returned as `.error`, not thrown.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        try Self.check(commands)
        return try await write(commands)
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

    /// Runs a Lua script by its SHA1 (EVALSHA), loading it first or again when Redis does not
    /// know it (after a restart or SCRIPT FLUSH).
    @discardableResult
    public func evalScript(
        _ source: String, keys: [any RedisArgument], arguments: [any RedisArgument] = []
    ) async throws -> RedisReply {
        let sha: String
        if let cached = scripts.withLock({ $0[source] }) {
            sha = cached
        } else {
            sha = try await loadScript(source)
        }
        let tail: [any RedisArgument] = [keys.count] + keys + arguments
        do {
            return try await send(RedisCommand("EVALSHA", [sha] + tail))
        } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {
            let reloaded = try await loadScript(source)
            return try await send(RedisCommand("EVALSHA", [reloaded] + tail))
        }
    }

    private func loadScript(_ source: String) async throws -> String {
        guard let sha = try await send("SCRIPT", "LOAD", source).string else {
            throw RedisError.unexpectedReply("SCRIPT LOAD returned no SHA1")
        }
        scripts.withLock { $0[source] = sha }
        return sha
    }

    /// Nil when Redis answers PING, otherwise why not.
    public func problem() async -> String? {
        do {
            let reply = try await send("PING")
            return reply == .status("PONG") ? nil : "unexpected PING reply"
        } catch {
            return "\(error)"
        }
    }

    /// Closes every connection; later commands fail with `unavailable`.
    public func close() async {
        for connection in connections {
            await connection.close()
        }
    }

    private func write(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        // A caller running on an event loop uses the connection on that loop: no thread hop.
        let connection =
            connections.first { $0.eventLoop.inEventLoop }
            ?? connections[nextConnection.wrappingAdd(1, ordering: .relaxed).oldValue % connections.count]
        let channel = try await connection.channel()
        let promise = channel.eventLoop.makePromise(of: [RedisReply].self)
        // Encoding happens here, on the caller's thread, not on the event loop.
        let request = RedisRequest(encoding: commands, promise: promise)
        channel.write(request).whenFailure { error in
            // The handler never saw the request (channel already gone): the promise is ours.
            promise.fail(RedisError.unavailable("\(error)"))
        }
        return try await promise.futureResult.get()
    }
}

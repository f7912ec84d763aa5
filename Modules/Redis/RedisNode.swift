import Logging
import NIOCore
import SwitchyardCore
import Synchronization

/// The pipelined connections to one Redis server, shared by every caller: the whole client in
/// standalone mode, one per master in cluster mode. Beside them, when writes must reach
/// replicas, a few connections that each carry one write and its `WAIT` at a time: WAIT holds
/// its connection until the replicas confirm, so on a shared one it would hold up every caller.
final class RedisNode: Sendable {
    let connections: [RedisConnection]
    private let nextConnection = Atomic<Int>(0)
    private let waitConnections: [RedisConnection]
    private let freeWaitConnections: Mutex<[Int]>
    private let waitTurns: FIFOSemaphore
    private let configuration: RedisConfiguration

    init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        connections = (0..<configuration.connections).map { _ in
            RedisConnection(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
        }
        let waitCount = configuration.waitReplicas > 0 ? configuration.waitConnections : 0
        waitConnections = (0..<waitCount).map { _ in
            RedisConnection(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
        }
        freeWaitConnections = Mutex(Array(0..<waitCount))
        waitTurns = FIFOSemaphore(permits: waitCount)
    }

    /// Writes `commands` in one request on one connection and returns their replies in order.
    func write(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        // A caller running on an event loop uses the connection on that loop: no thread hop.
        let connection =
            connections.first { $0.eventLoop.inEventLoop }
            ?? connections[nextConnection.wrappingAdd(1, ordering: .relaxed).oldValue % connections.count]
        return try await Self.write(commands, on: connection)
    }

    /// As `write`, then waits until `redis.wait-replicas` replicas have everything written on
    /// the connection (the commands included); fewer within `redis.wait-timeout` fails as
    /// unavailable, though the commands ran on this server. A plain write when no replica is asked for.
    func writeReplicated(_ commands: [RedisCommand]) async throws -> [RedisReply] {
        let replicas = configuration.waitReplicas
        guard replicas > 0 else { return try await write(commands) }
        do {
            try await waitTurns.acquire(within: configuration.commandTimeout)
        } catch is FIFOSemaphore.TimedOut {
            throw RedisError.unavailable("no connection for a replicated write within redis.command-timeout")
        } catch is FIFOSemaphore.Closed {
            throw RedisError.unavailable("client closed")
        }
        defer { waitTurns.release() }
        let index = freeWaitConnections.withLock { $0.removeLast() }
        defer { freeWaitConnections.withLock { $0.append(index) } }
        let wait = RedisCommand("WAIT", replicas, Int(configuration.waitTimeout / .milliseconds(1)))
        let replies = try await Self.write(commands + [wait], on: waitConnections[index])
        // Sent to a node that no longer serves the slot (a failover, a reshard): nothing ran,
        // and WAIT there means nothing either; the router follows the redirects.
        if replies.dropLast().contains(where: { Redirect($0) != nil }) { return Array(replies.dropLast()) }
        guard case .integer(let confirmed) = replies.last, confirmed >= replicas else {
            throw RedisError.unavailable(
                "the write reached \(replies.last?.int ?? 0) of \(replicas) replicas within redis.wait-timeout")
        }
        return Array(replies.dropLast())
    }

    private static func write(_ commands: [RedisCommand], on connection: RedisConnection) async throws -> [RedisReply] {
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

    func close() async {
        waitTurns.close()
        for connection in connections + waitConnections {
            await connection.close()
        }
    }
}

import Logging
import NIOCore
import Synchronization

/// The pipelined connections to one Redis server, shared by every caller: the whole client in
/// standalone mode, one per master in cluster mode.
final class RedisNode: Sendable {
    let connections: [RedisConnection]
    private let nextConnection = Atomic<Int>(0)

    init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        connections = (0..<configuration.connections).map { _ in
            RedisConnection(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
        }
    }

    /// Writes `commands` in one request on one connection and returns their replies in order.
    func write(_ commands: [RedisCommand]) async throws -> [RedisReply] {
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

    func close() async {
        for connection in connections {
            await connection.close()
        }
    }
}

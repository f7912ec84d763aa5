import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One pipelined connection that heals itself: when it drops or cannot be opened, callers fail
/// fast with `RedisError.unavailable` while it reconnects in the background with backoff.
final class RedisConnection: Sendable {
    private enum Phase {
        case idle
        case connecting(EventLoopFuture<any Channel>)
        case connected(any Channel)
        case down(reason: String, retryAt: NIODeadline)
        case closed
    }

    private struct State {
        var phase: Phase = .idle
        var backoff: TimeAmount = RedisConnection.initialBackoff
        /// When the current connection was made: the backoff starts over only after a
        /// connection that lasted, so a server that accepts and drops at once is not hammered.
        var connectedAt: NIODeadline?
    }

    private enum Next {
        case use(any Channel)
        case wait(EventLoopFuture<any Channel>)
        case connect(EventLoopPromise<any Channel>)
        case fail(String)
    }

    static let initialBackoff = TimeAmount.milliseconds(50)
    static let maximumBackoff = TimeAmount.seconds(1)
    /// How long a connection must last for the next outage to start from `initialBackoff`.
    static let stableAfter = TimeAmount.seconds(1)

    private let configuration: RedisConfiguration
    let eventLoop: any EventLoop
    private let logger: Logger
    private let state = Mutex(State())

    init(configuration: RedisConfiguration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// A connected channel, connecting first if needed.
    func channel() async throws -> any Channel {
        let next = state.withLock { state -> Next in
            switch state.phase {
            case .connected(let channel):
                return .use(channel)
            case .connecting(let future):
                return .wait(future)
            case .down(let reason, let retryAt) where retryAt > .now():
                return .fail(reason)
            case .closed:
                return .fail("client closed")
            case .idle, .down:
                let promise = eventLoop.makePromise(of: (any Channel).self)
                state.phase = .connecting(promise.futureResult)
                return .connect(promise)
            }
        }
        switch next {
        case .use(let channel): return channel
        case .wait(let future): return try await future.get()
        case .fail(let reason): throw RedisError.unavailable(reason)
        case .connect(let promise):
            connect(promise)
            return try await promise.futureResult.get()
        }
    }

    func close() async {
        let channel = state.withLock { state -> (any Channel)? in
            defer { state.phase = .closed }
            if case .connected(let channel) = state.phase { return channel }
            return nil
        }
        try? await channel?.close()
    }

    private func connect(_ promise: EventLoopPromise<any Channel>) {
        let commandTimeout = TimeAmount.nanoseconds(Int64(configuration.commandTimeout / .nanoseconds(1)))
        let tls = configuration.tls
        let connected = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout / .nanoseconds(1))))
            // A TCP-level option: `.socketOption(.tcp_nodelay)` would be SO_DEBUG at SOL_SOCKET.
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverHostname))
                    }
                    try pipeline.addHandler(RedisChannelHandler(commandTimeout: commandTimeout))
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .flatMap { channel in self.handshake(channel).map { channel } }
        connected.whenComplete { result in
            switch result {
            case .success(let channel): self.didConnect(channel)
            case .failure(let error): self.didFail(Self.reason(error))
            }
        }
        promise.completeWith(connected.flatMapErrorThrowing { throw RedisError.unavailable(Self.reason($0)) })
    }

    /// AUTH and SELECT, pipelined; either failing closes the channel with a clear reason.
    private func handshake(_ channel: any Channel) -> EventLoopFuture<Void> {
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            commands.append(
                configuration.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password))
        }
        if configuration.database != 0 {
            commands.append(RedisCommand("SELECT", configuration.database))
        }
        guard !commands.isEmpty else { return channel.eventLoop.makeSucceededVoidFuture() }
        let handshake = commands
        let promise = channel.eventLoop.makePromise(of: [RedisReply].self)
        channel.writeAndFlush(RedisRequest(encoding: handshake, promise: promise), promise: nil)
        return promise.futureResult.flatMapThrowing { replies in
            for (command, reply) in zip(handshake, replies) {
                if case .error(let message) = reply {
                    let step = command.name == "AUTH" ? "authentication failed" : "SELECT failed"
                    throw RedisError.unavailable("\(step): \(message)")
                }
            }
        }.flatMapError { error in
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    private func didConnect(_ channel: any Channel) {
        let keep = state.withLock { state -> Bool in
            guard case .connecting = state.phase else { return false }
            state.phase = .connected(channel)
            state.connectedAt = .now()
            return true
        }
        guard keep else {
            channel.close(promise: nil)
            return
        }
        logger.info("redis connected", metadata: ["host": "\(configuration.host):\(configuration.port)"])
        channel.closeFuture.whenComplete { _ in self.didFail("connection lost") }
    }

    /// Marks the connection down and schedules the next attempt after the current backoff.
    private func didFail(_ reason: String) {
        let attempt = state.withLock { state -> (delay: TimeAmount, first: Bool)? in
            if case .closed = state.phase { return nil }
            if let connectedAt = state.connectedAt, .now() - connectedAt >= Self.stableAfter {
                state.backoff = Self.initialBackoff
            }
            state.connectedAt = nil
            // Half to all of the backoff, so replicas that lost Redis together do not return in step.
            let delay = TimeAmount.nanoseconds(Int64(Double(state.backoff.nanoseconds) * Double.random(in: 0.5...1)))
            let first = state.backoff == Self.initialBackoff
            state.phase = .down(reason: reason, retryAt: .now() + delay)
            state.backoff = min(state.backoff * 2, Self.maximumBackoff)
            return (delay, first)
        }
        guard let attempt else { return }
        // One warning per outage; the retries after it are debug noise.
        logger.log(
            level: attempt.first ? .warning : .debug, "redis unavailable, reconnecting",
            metadata: ["reason": "\(reason)", "retry-in": "\(attempt.delay)"])
        eventLoop.scheduleTask(in: attempt.delay) { self.reconnectIfDown() }
    }

    private func reconnectIfDown() {
        let promise = state.withLock { state -> EventLoopPromise<any Channel>? in
            guard case .down = state.phase else { return nil }
            let promise = eventLoop.makePromise(of: (any Channel).self)
            state.phase = .connecting(promise.futureResult)
            return promise
        }
        if let promise {
            connect(promise)
            // Nobody awaits a background attempt; its outcome is handled in `connect`.
            promise.futureResult.whenFailure { _ in }
        }
    }

    private static func reason(_ error: any Error) -> String {
        if case RedisError.unavailable(let reason) = error { return reason }
        if let channelError = error as? ChannelError, case .connectTimeout(let amount) = channelError {
            return "no connection within redis.connect-timeout (\(Double(amount.nanoseconds) / 1e9) s)"
        }
        return "\(error)"
    }
}

extension RedisRequest {
    /// Encodes `commands` into one buffer, to be answered by as many replies.
    init(encoding commands: [RedisCommand], promise: EventLoopPromise<[RedisReply]>) {
        var buffer = ByteBufferAllocator().buffer(capacity: 64 * commands.count)
        for command in commands {
            RESPEncoder.encode(command, into: &buffer)
        }
        self.init(bytes: buffer, replyCount: commands.count, promise: promise)
    }
}

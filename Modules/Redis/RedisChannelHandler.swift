import NIOCore

/// Commands written to one connection together, answered by `replyCount` replies in order.
struct RedisRequest {
    var bytes: ByteBuffer
    var replyCount: Int
    var promise: EventLoopPromise<[RedisReply]>
}

/// Matches replies to requests in the order they were written, which is what lets many tasks
/// share one connection (automatic pipelining). Lives on the channel's event loop only.
final class RedisChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var remaining: Int
        var replies: [RedisReply]
        let promise: EventLoopPromise<[RedisReply]>
        let deadline: NIODeadline
    }

    /// Requests awaiting replies on one connection at most; past it callers fail at once
    /// (`unavailable`) instead of queueing behind a server that has stopped answering.
    static let maximumPending = 10_000

    private let parser = RESPParser()
    private let commandTimeout: TimeAmount
    private var pending = CircularBuffer<Pending>()
    private var flushScheduled = false
    private var timeoutCheck: Scheduled<Void>?
    private var closedError: RedisError?
    private var removed = false

    init(commandTimeout: TimeAmount) {
        self.commandTimeout = commandTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        promise?.succeed()
        if let closedError {
            request.promise.fail(closedError)
            return
        }
        guard pending.count < Self.maximumPending else {
            request.promise.fail(RedisError.unavailable("\(Self.maximumPending) commands already wait for replies on this connection"))
            return
        }
        pending.append(
            Pending(
                remaining: request.replyCount, replies: [], promise: request.promise,
                deadline: .now() + commandTimeout))
        context.write(wrapOutboundOut(request.bytes), promise: nil)
        armTimeoutCheck(context: context)
        // One flush per event-loop tick carries every command written in that tick.
        if !flushScheduled {
            flushScheduled = true
            context.eventLoop.assumeIsolated().execute {
                self.flushScheduled = false
                if !self.removed { context.flush() }
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try parser.feed(unwrapInboundIn(data))
            while let reply = try parser.next() {
                guard !pending.isEmpty else {
                    throw RedisError.unavailable("reply without a request")
                }
                pending[pending.startIndex].replies.append(reply)
                pending[pending.startIndex].remaining -= 1
                if pending[pending.startIndex].remaining == 0 {
                    let done = pending.removeFirst()
                    done.promise.succeed(done.replies)
                }
            }
        } catch {
            fail(with: error as? RedisError ?? .unavailable("\(error)"), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
        failAll(.unavailable("connection closed"))
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.unavailable("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(with: .unavailable("\(error)"), context: context)
    }

    private func fail(with error: RedisError, context: ChannelHandlerContext) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        closedError = closedError ?? error
        timeoutCheck?.cancel()
        timeoutCheck = nil
        while let next = pending.popFirst() {
            next.promise.fail(error)
        }
    }

    /// One timer per connection, set for the oldest request's deadline. A reply that is late
    /// means the connection cannot be trusted to stay in step: fail everything and reset it.
    private func armTimeoutCheck(context: ChannelHandlerContext) {
        guard timeoutCheck == nil, let oldest = pending.first else { return }
        timeoutCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: oldest.deadline) {
            self.timeoutCheck = nil
            guard let oldest = self.pending.first else { return }
            if oldest.deadline <= .now() {
                self.fail(with: .timeout, context: context)
            } else {
                self.armTimeoutCheck(context: context)
            }
        }
    }
}

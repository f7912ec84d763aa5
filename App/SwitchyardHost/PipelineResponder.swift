import FeatureKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import SwitchyardCore

/// Answers a request without a body straight from the channel pipeline: the request goes to
/// the same router, through the same middleware, in a task on the connection's event loop,
/// and its answer is written to the pipeline with nothing in between. Hummingbird's own path
/// streams every request and answer through async sequences, which costs more than most
/// routes do. Requests with a body, with `Connection: close`, and any request that arrives
/// while Hummingbird still answers an earlier one of the connection take Hummingbird's path,
/// so answers keep their order. While an answer is being made, the connection reads nothing
/// more (what was read already is held and replayed), so a client cannot queue up work.
///
/// It sits after Hummingbird's `HTTPConnectionStateHandler`, which sees these requests and
/// answers too: idle timeouts and graceful shutdown treat them like any other.
final class PipelineResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    /// The router's answer to a request, with the `Server` header; the `Date` is added here.
    typealias Respond = @Sendable (Request, any Channel) async -> Response

    private enum Held {
        case read(NIOAny)
        case event(Any)
        case error(any Error)
        case close(CloseMode, EventLoopPromise<Void>?)
    }

    private let respond: Respond
    private var executor: EventLoopTaskExecutor?
    /// A head that qualifies, waiting for its end.
    private var candidate: HTTPRequest?
    /// Requests handed to Hummingbird whose answer has not ended yet.
    private var handedOn = 0
    private var answering = false
    private var held = CircularBuffer<Held>()
    private var readWanted = false
    private var awaitingWritability = false
    private var date = HTTPDateHeader()

    init(respond: @escaping Respond) {
        self.respond = respond
    }

    func handlerAdded(context: ChannelHandlerContext) {
        executor = EventLoopTaskExecutor.on(context.eventLoop)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answering else { return held.append(.read(data)) }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if handedOn == 0, Self.answerable(head) {
                candidate = head
            } else {
                handedOn += 1
                context.fireChannelRead(data)
            }
        case .body:
            if let head = candidate.take() {
                handedOn += 1
                context.fireChannelRead(wrapInboundOut(.head(head)))
            }
            context.fireChannelRead(data)
        case .end:
            if let head = candidate.take() {
                answer(head, context: context)
            } else {
                context.fireChannelRead(data)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard !answering else { return held.append(.event(event)) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !answering else { return held.append(.error(error)) }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { handedOn -= 1 }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        guard !answering else { return readWanted = true }
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Hummingbird closes its side when the client's input ends, which may be while an
        // answer made here is still on its way.
        guard !answering else { return held.append(.close(mode, promise)) }
        context.close(mode: mode, promise: promise)
    }

    /// Hummingbird's own path handles the rest: bodies, and connections that end.
    static func answerable(_ head: HTTPRequest) -> Bool {
        (head.method == .get || head.method == .head) && head.headerFields[.transferEncoding] == nil
            && (head.headerFields[.contentLength] ?? "0") == "0" && head.headerFields[.connection] != "close"
    }

    private func answer(_ head: HTTPRequest, context: ChannelHandlerContext) {
        answering = true
        let connection = Connection(NIOLoopBound((self, context), eventLoop: context.eventLoop))
        let channel = context.channel
        let respond = self.respond
        Task(executorPreference: executor) {
            let response = await respond(Request(head: head, body: RequestBody(buffer: ByteBuffer())), channel)
            do {
                try await connection.run { handler, context in
                    var head = response.head
                    head.headerFields[.date] = handler.date.now()
                    context.write(handler.wrapOutboundOut(.head(head)), promise: nil)
                }
                try await response.body.write(PipelineBodyWriter(connection: connection))
            } catch {
                // As on Hummingbird's path: an answer that fails half-written ends the connection.
                try? await connection.run { _, context in context.close(promise: nil) }
            }
            try? await connection.run { handler, context in handler.answered(context: context) }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, awaitingWritability {
            awaitingWritability = false
            answered(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if awaitingWritability {
            awaitingWritability = false
            answered(context: context)
        }
        context.fireChannelInactive()
    }

    /// Replays what arrived meanwhile, then lets the connection read again; a client that does
    /// not read its answers is not read from until the socket takes them.
    private func answered(context: ChannelHandlerContext) {
        guard context.channel.isWritable || !context.channel.isActive else { return awaitingWritability = true }
        answering = false
        var replayedReads = false
        while !answering, let item = held.popFirst() {
            switch item {
            case .read(let data):
                channelRead(context: context, data: data)
                replayedReads = true
            case .event(let event): context.fireUserInboundEventTriggered(event)
            case .error(let error): context.fireErrorCaught(error)
            case .close(let mode, let promise): context.close(mode: mode, promise: promise)
            }
        }
        // Hummingbird's side takes in what was read at the end of each read.
        if replayedReads { context.fireChannelReadComplete() }
        if !answering, readWanted {
            readWanted = false
            context.read()
        }
    }

    /// The handler and its context, used from the answer's task.
    struct Connection: Sendable {
        let bound: NIOLoopBound<(PipelineResponder, ChannelHandlerContext)>

        init(_ bound: NIOLoopBound<(PipelineResponder, ChannelHandlerContext)>) {
            self.bound = bound
        }

        /// Runs `body` on the connection's loop: at once, as the task already runs there.
        func run<T: Sendable>(_ body: @escaping @Sendable (PipelineResponder, ChannelHandlerContext) throws -> T) async throws -> T {
            if bound.eventLoop.inEventLoop { return try body(bound.value.0, bound.value.1) }
            return try await bound.eventLoop.submit { try body(bound.value.0, bound.value.1) }.get()
        }
    }
}

/// Writes an answer's body from its task. A small answer leaves in one flush with its head; a
/// streamed one waits for the socket whenever the channel holds more than its high-water mark.
struct PipelineBodyWriter: ResponseBodyWriter {
    let connection: PipelineResponder.Connection

    func write(_ buffer: ByteBuffer) async throws {
        let written = try await connection.run { handler, context -> EventLoopFuture<Void>? in
            guard context.channel.isWritable else {
                let promise = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(handler.wrapOutboundOut(.body(buffer)), promise: promise)
                return promise.futureResult
            }
            context.write(handler.wrapOutboundOut(.body(buffer)), promise: nil)
            return nil
        }
        try await written?.get()
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await connection.run { handler, context in
            context.writeAndFlush(handler.wrapOutboundOut(.end(trailingHeaders)), promise: nil)
        }
    }
}

/// The `Date` header, formatted once a second per connection.
struct HTTPDateHeader {
    private var second = -1
    private var text = ""

    mutating func now() -> String {
        let current = time(nil)
        if current != second {
            second = current
            text = httpDate(secondsSinceEpoch: Int64(current))
        }
        return text
    }
}

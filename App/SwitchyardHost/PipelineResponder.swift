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
/// so answers keep their order. What arrives while an answer is being made is held and then
/// replayed, up to a bound past which the connection stops reading: a client cannot queue up
/// work. A route whose answer is fixed (`ConstantRoutes`) is written in the read itself.
///
/// It sits after Hummingbird's `HTTPConnectionStateHandler`, which sees these requests and
/// answers too: idle timeouts and graceful shutdown treat them like any other.
final class PipelineResponder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    /// The router's answer to a request.
    typealias Respond = @Sendable (Request, any Channel) async -> Response

    private enum Held {
        case read(NIOAny)
        case event(Any)
        case error(any Error)
        case close(CloseMode, EventLoopPromise<Void>?)
    }

    private let respond: Respond
    private let constant: ConstantRoutes
    private let metrics: RequestMetrics
    private let serverName: String
    private var executor: EventLoopTaskExecutor?
    /// A head that qualifies, waiting for its end.
    private var candidate: HTTPRequest?
    /// Requests handed to Hummingbird whose answer has not ended yet.
    private var handedOn = 0
    private var answering = false
    private var held = CircularBuffer<Held>()
    private var readWanted = false
    private var awaitingWritability = false
    private var flushScheduled = false
    private var date = HTTPDateHeader()

    init(respond: @escaping Respond, constant: ConstantRoutes, metrics: RequestMetrics, serverName: String) {
        self.respond = respond
        self.constant = constant
        self.metrics = metrics
        self.serverName = serverName
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
                if let answer = constant.answer(head.method, head.path) {
                    write(answer, for: head, context: context)
                } else {
                    self.answer(head, context: context)
                }
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
        // Reading on while answering keeps the socket's epoll registration as it is (pausing
        // reads costs two `epoll_ctl` calls a request); what a client pipelines is held up to
        // `heldLimit` parts, then reading waits for the answer.
        guard !answering || held.count < Self.heldLimit else { return readWanted = true }
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Hummingbird closes its side when the client's input ends, which may be while an
        // answer made here is still on its way.
        guard !answering else { return held.append(.close(mode, promise)) }
        context.close(mode: mode, promise: promise)
    }

    /// Parts of pipelined requests held while an answer is being made (a head is at most
    /// Hummingbird's 80 KiB header limit).
    static let heldLimit = 16

    /// Hummingbird's own path handles the rest: bodies, and connections that end.
    static func answerable(_ head: HTTPRequest) -> Bool {
        (head.method == .get || head.method == .head) && head.headerFields[.transferEncoding] == nil
            && (head.headerFields[.contentLength] ?? "0") == "0" && head.headerFields[.connection] != "close"
    }

    /// The headers every answer gets here, as Hummingbird's application adds them.
    private func completed(_ head: HTTPResponse) -> HTTPResponse {
        var head = head
        head.headerFields[.server] = serverName
        head.headerFields[.date] = date.now()
        return head
    }

    private func write(_ answer: ConstantRoutes.Answer, for request: HTTPRequest, context: ChannelHandlerContext) {
        let start = ContinuousClock.now
        context.write(wrapOutboundOut(.head(completed(HTTPResponse(status: answer.status, headerFields: answer.headers)))), promise: nil)
        context.write(wrapOutboundOut(.body(answer.body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        metrics.record(answer.series, status: answer.status.code, since: start)
        // A client that does not read its answers is not read from until the socket takes them.
        if !context.channel.isWritable {
            answering = true
            awaitingWritability = true
        }
    }

    private func answer(_ head: HTTPRequest, context: ChannelHandlerContext) {
        answering = true
        let connection = Connection(bound: NIOLoopBound((self, context), eventLoop: context.eventLoop))
        let channel = context.channel
        let respond = self.respond
        // Runs at once, in this read: a route that need not wait is answered before it returns.
        Task.immediate(executorPreference: executor) {
            let response = await respond(Request(head: head, body: RequestBody(buffer: ByteBuffer())), channel)
            await PipelineResponder.send(response, to: connection)
        }
    }

    private static func send(_ response: Response, to connection: Connection) async {
        do {
            if let length = response.body.contentLength, length <= gatheredBodyLimit {
                let body = try await GatheredBody.gather(response.body)
                try await connection.run { handler, context in
                    handler.write(response.head, body, context: context)
                    handler.answered(context: context)
                }
                return
            }
            try await connection.run { handler, context in
                context.write(handler.wrapOutboundOut(.head(handler.completed(response.head))), promise: nil)
            }
            try await response.body.write(PipelineBodyWriter(connection: connection))
        } catch {
            // As on Hummingbird's path: an answer that fails half-written ends the connection.
            try? await connection.run { _, context in context.close(promise: nil) }
        }
        try? await connection.run { handler, context in handler.answered(context: context) }
    }

    /// A body of known length up to this size is gathered before anything is written, so its
    /// head, parts and end go to the pipeline in one step with one flush; a longer or streamed
    /// one is written part by part as its route produces it.
    static let gatheredBodyLimit = 64 * 1024

    private func write(_ head: HTTPResponse, _ body: GatheredBody.Parts, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(completed(head))), promise: nil)
        for part in body.parts {
            context.write(wrapOutboundOut(.body(part)), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(body.trailers)), promise: nil)
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

    /// Writes a part of a streamed body, flushed at the end of this event-loop tick: the parts
    /// of a small answer written together (head, body, end) still leave in one `writev`, and a
    /// stream's part reaches the client without waiting for the next.
    fileprivate func writeBody(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.body(buffer)), promise: nil)
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            context.flush()
        }
    }

    /// The handler and its context, used from the answer's task.
    struct Connection: Sendable {
        let bound: NIOLoopBound<(PipelineResponder, ChannelHandlerContext)>

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
            handler.writeBody(buffer, context: context)
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

/// A small answer's body, gathered as its route writes it (`PipelineResponder.gatheredBodyLimit`).
final class GatheredBody: ResponseBodyWriter {
    struct Parts: Sendable {
        var parts: [ByteBuffer] = []
        var trailers: HTTPFields?
    }

    private var gathered = Parts()

    static func gather(_ body: ResponseBody) async throws -> Parts {
        let writer = GatheredBody()
        try await body.write(writer)
        return writer.gathered
    }

    func write(_ buffer: ByteBuffer) async throws {
        gathered.parts.append(buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {
        gathered.trailers = trailingHeaders
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

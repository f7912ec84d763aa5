import FeatureKit
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1

/// HTTP/1.1 connections handled on the event loop that owns their socket: reading a request,
/// the middleware, the route and writing its answer are all jobs of that loop, and so is the
/// reply of a Redis connection on the same loop. Hummingbird otherwise runs each connection on
/// the global concurrency pool, which costs two thread hand-offs per request and a third for
/// every Redis round trip. Routes never block (blocking C calls have threads of their own);
/// large bodies move to `BulkWorkLoops` (`EventLoopAffinityMiddleware`). Requests without a
/// body are answered from the pipeline (`PipelineResponder`), and request heads are converted
/// by `OriginFormServerCodec`.
struct LoopBoundHTTP1Channel: ServerChildChannel {
    let http1: HTTP1Channel
    let pipelineResponder: @Sendable () -> PipelineResponder

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(OriginFormServerCodec(), position: .after(codec))
            pipeline.removeHandler(codec, promise: nil)
            let state = try pipeline.handler(type: HTTPConnectionStateHandler.self)
            try pipeline.addHandler(pipelineResponder(), position: .after(state))
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor.on(value.channel.eventLoop)) {
            await http1.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    static func loopBoundHTTP1(
        configuration: HTTP1Channel.Configuration, pipelineResponder: @escaping @Sendable () -> PipelineResponder
    ) -> HTTPServerBuilder {
        .init { responder in
            LoopBoundHTTP1Channel(http1: HTTP1Channel(responder: responder, configuration: configuration), pipelineResponder: pipelineResponder)
        }
    }
}

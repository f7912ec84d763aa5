import ArgumentParser
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix

/// The ceilings `scripts/bench ceiling` measures Switchyard against: `GET /health` answered by
/// a bare SwiftNIO HTTP/1.1 server and by a bare Hummingbird application with one route, with
/// the body Switchyard's `/health` answers.
let healthBody = #"{"status":"ok"}"#

struct PortOption: ParsableArguments {
    @Option(help: "Port on 127.0.0.1.")
    var port: Int
}

struct BareNIO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bare-nio", abstract: "A bare SwiftNIO HTTP/1.1 server answering every request as /health.")

    @OptionGroup var listen: PortOption

    func run() async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(HealthHandler())
                }
            }
            .bind(host: "127.0.0.1", port: listen.port).get()
        try await channel.closeFuture.get()
    }
}

/// Answers each request once its end has arrived: 200 with the health body, kept alive.
final class HealthHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(healthBody.utf8.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: healthBody)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

struct BareHummingbird: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bare-hummingbird", abstract: "A bare Hummingbird application with one route, GET /health.")

    @OptionGroup var listen: PortOption

    func run() async throws {
        let router = Router()
        router.get("/health") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: healthBody)))
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: listen.port)))
        try await application.runService()
    }
}

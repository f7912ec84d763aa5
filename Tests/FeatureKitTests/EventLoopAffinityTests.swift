import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import FeatureKit

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Which requests leave the event loop: those whose body is large or of unknown length.
@Suite struct EventLoopAffinityTests {
    static func request(_ fields: HTTPFields) -> Request {
        Request(
            head: HTTPRequest(method: .post, scheme: "http", authority: "x", path: "/events", headerFields: fields),
            body: RequestBody(buffer: ByteBuffer()))
    }

    @Test func largeOrUnknownLengthBodiesRunOffTheLoop() {
        let limit = EventLoopAffinityMiddleware.largeBody
        #expect(!EventLoopAffinityMiddleware.hasLargeBody(Self.request([:])))
        #expect(!EventLoopAffinityMiddleware.hasLargeBody(Self.request([.contentLength: "512"])))
        #expect(!EventLoopAffinityMiddleware.hasLargeBody(Self.request([.contentLength: String(limit)])))
        #expect(EventLoopAffinityMiddleware.hasLargeBody(Self.request([.contentLength: String(limit + 1)])))
        #expect(EventLoopAffinityMiddleware.hasLargeBody(Self.request([.transferEncoding: "chunked"])))
        #expect(EventLoopAffinityMiddleware.hasLargeBody(Self.request([.contentLength: "not a number"])))
    }
}

/// Large bodies take turns: with one permit, a second large request's handler starts only
/// after the first one's has finished, while a small request is served meanwhile.
@Suite struct LargeBodyTurnsTests {
    final class Log: Sendable {
        let events = Mutex<[String]>([])
        func add(_ event: String) { events.withLock { $0.append(event) } }
    }

    @Test func largeRequestsTakeTurnsAndSmallOnesDoNot() async throws {
        let log = Log()
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: EventLoopAffinityMiddleware(largeBodyConcurrency: 1))
        router.post("/big/{name}") { _, context -> String in
            let name = try context.parameters.require("name")
            log.add("start \(name)")
            if name == "first" { for await _ in release { break } }
            log.add("end \(name)")
            return name
        }
        router.get("/small") { _, _ in "small" }
        let body = ByteBuffer(repeating: 0x20, count: EventLoopAffinityMiddleware.largeBody + 1)
        try await Application(router: router).test(.live) { client in
            // Each call on a connection of its own (the test client has one, in order).
            let base = "http://127.0.0.1:\(client.port!)"
            @Sendable func post(_ name: String) async throws -> Int {
                var request = URLRequest(url: URL(string: "\(base)/big/\(name)")!)
                request.httpMethod = "POST"
                request.httpBody = Data(buffer: body)
                request.timeoutInterval = 30
                return (try await URLSession(configuration: .ephemeral).data(for: request).1 as? HTTPURLResponse)?.statusCode ?? 0
            }
            async let first = post("first")
            while !log.events.withLock({ $0.contains("start first") }) { try await Task.sleep(for: .milliseconds(5)) }
            async let second = post("second")
            // The small request is answered while the first large one still holds the turn.
            let small = try await URLSession(configuration: .ephemeral).data(from: URL(string: "\(base)/small")!)
            #expect((small.1 as? HTTPURLResponse)?.statusCode == 200)
            #expect(!log.events.withLock { $0.contains("start second") })
            releaseSignal.yield()
            #expect(try await first == 200)
            #expect(try await second == 200)
            #expect(log.events.withLock { $0 } == ["start first", "end first", "start second", "end second"])
        }
    }
}

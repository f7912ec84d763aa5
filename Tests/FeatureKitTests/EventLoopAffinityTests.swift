import FeatureTesting
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

/// Large bodies take turns to be parsed: with one turn, a second large body is parsed only
/// after the first one's parse has finished, while a small request is served meanwhile; and a
/// large body still being uploaded holds no turn.
@Suite struct LargeBodyTurnsTests {
    final class Log: Sendable {
        let events = Mutex<[String]>([])
        func add(_ event: String) { events.withLock { $0.append(event) } }
        func contains(_ event: String) -> Bool { events.withLock { $0.contains(event) } }
    }

    /// A router whose `/big/{name}` parses its body with `decode`, one turn for large bodies.
    static func router(_ log: Log, decode: @escaping @Sendable (String) -> Void) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.add(middleware: EventLoopAffinityMiddleware(largeBodyTurns: LargeBodyTurns(concurrency: 1, wait: .seconds(30))))
        router.post("/big/{name}") { request, context -> String in
            let name = try context.parameters.require("name")
            try await request.jsonBody(context: context) { _ in
                log.add("start \(name)")
                decode(name)
                log.add("end \(name)")
            }
            return name
        }
        router.get("/small") { _, _ in "small" }
        return router
    }

    /// A JSON object of just over the large-body threshold.
    static let body = Data(("{\"pad\": \"" + String(repeating: "x", count: EventLoopAffinityMiddleware.largeBody) + "\"}").utf8)

    static func post(_ url: String) async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.timeoutInterval = 30
        return (try await URLSession(configuration: .ephemeral).data(for: request).1 as? HTTPURLResponse)?.statusCode ?? 0
    }

    @Test func largeBodiesAreParsedInTurnsAndSmallRequestsDoNotWait() async throws {
        let log = Log()
        let release = DispatchSemaphore(value: 0)
        // The first parse blocks its thread until released: it stands for a long parse.
        let router = Self.router(log) { name in if name == "first" { _ = release.wait(timeout: .now() + 30) } }
        try await Application(router: router).test(.live) { client in
            // Each call on a connection of its own (the test client has one, in order).
            let base = "http://127.0.0.1:\(client.port!)"
            async let first = Self.post("\(base)/big/first")
            let guardTime = ContinuousClock.now + .seconds(30)
            while !log.contains("start first") && ContinuousClock.now < guardTime { try await Task.sleep(for: .milliseconds(5)) }
            async let second = Self.post("\(base)/big/second")
            // The small request is answered while the first large one still holds the turn.
            let small = try await URLSession(configuration: .ephemeral).data(from: URL(string: "\(base)/small")!)
            #expect((small.1 as? HTTPURLResponse)?.statusCode == 200)
            #expect(!log.contains("start second"))
            release.signal()
            #expect(try await first == 200)
            #expect(try await second == 200)
            #expect(log.events.withLock { $0 } == ["start first", "end first", "start second", "end second"])
        }
    }

    #if canImport(Glibc)
        @Test func largeBodiesRunAtALowerPriorityThanSmallRequests() async throws {
            let router = Router(context: AppRequestContext.self)
            router.add(middleware: EventLoopAffinityMiddleware())
            // The niceness of the thread the handler runs on (Linux: per thread).
            router.post("/nice") { _, _ in String(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) }
            try await Application(router: router).test(.live) { client in
                let small = try await client.execute(uri: "/nice", method: .post, body: ByteBuffer(string: "{}"))
                let large = try await client.execute(uri: "/nice", method: .post, body: ByteBuffer(data: Self.body))
                let smallNice = try #require(Int32(String(buffer: small.body)))
                #expect(Int32(String(buffer: large.body)) == max(smallNice, BulkWorkLoops.niceness))
            }
        }
    #endif

    @Test func aLargeBodyStillUploadingHoldsNoTurn() async throws {
        let router = Self.router(Log()) { _ in }
        try await Application(router: router).test(.live) { client in
            // Headers and half the body, then nothing: the server is still reading it.
            let socket = try #require(connectToLoopback(port: client.port!))
            defer { close(socket) }
            let head = "POST /big/slow HTTP/1.1\r\nHost: x\r\nContent-Length: \(Self.body.count)\r\n\r\n"
            let half = Array(head.utf8) + Array(Self.body.prefix(Self.body.count / 2))
            #expect(half.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) } == half.count)
            #expect(try await Self.post("http://127.0.0.1:\(client.port!)/big/other") == 200)
        }
    }
}

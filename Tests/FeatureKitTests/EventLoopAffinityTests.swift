import HTTPTypes
import Hummingbird
import Testing

@testable import FeatureKit

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

import HTTPTypes
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Testing

@testable import SwitchyardHost

@Suite struct OriginFormServerCodecTests {
    /// The same request as the library's conversion makes, for every kind of target.
    @Test(arguments: [
        "/", "/path-stats/api/x/?a=1&b=%20", "//evil.example/x", "/a b", "/ü?q=ü", "/a#frag", "http://example.com/p?q", "*",
        "example.com:443",
    ])
    func agreesWithTheLibrary(target: String) throws {
        for method in [HTTPMethod.GET, .POST, .RAW(value: "PURGE")] {
            var headers: HTTPHeaders = ["Host": "h.example", "host": "second", "Cookie": "a=1; b=2", "Connection": "keep-alive"]
            headers.add(name: "X-Many", value: "1")
            headers.add(name: "X-Many", value: "2")
            let head = HTTPRequestHead(version: .http1_1, method: method, uri: target, headers: headers)
            let library = try HTTPRequest(head, secure: false, splitCookie: false)
            let ours = try OriginFormServerCodec.request(head)
            #expect(ours == library)
            #expect(ours.headerFields == library.headerFields)
        }
    }

    @Test func aMethodTheLibraryRefusesIsRefused() {
        let head = HTTPRequestHead(version: .http1_1, method: .RAW(value: "BAD METHOD"), uri: "/", headers: [:])
        #expect(throws: (any Error).self) { try OriginFormServerCodec.request(head) }
    }
}

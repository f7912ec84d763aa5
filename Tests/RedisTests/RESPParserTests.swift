import NIOCore
import Testing

@testable import Redis

/// The reply parser builds replies from hiredis's callbacks: nesting, nils, errors, arrays of
/// bulk strings kept flat, and replies split across reads at any byte.
@Suite struct RESPParserTests {
    static let stream =
        "*3\r\n$3\r\nfoo\r\n$-1\r\n:5\r\n" + "*2\r\n$1\r\na\r\n$2\r\nbc\r\n" + "*2\r\n*2\r\n$1\r\nx\r\n$0\r\n\r\n:7\r\n"
        + "*3\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n" + "*0\r\n" + "+OK\r\n" + "-ERR bad\r\n" + "$-1\r\n" + "*-1\r\n" + ":-3\r\n"
        + "*1\r\n*1\r\n*0\r\n"

    static let expected: [RedisReply] = [
        .array([.bulk(Array("foo".utf8)), .null, .integer(5)]),
        .array([.bulk(Array("a".utf8)), .bulk(Array("bc".utf8))]),
        .array([.array([.bulk(Array("x".utf8)), .bulk([])]), .integer(7)]),
        .array([.bulk(Array("a".utf8)), .integer(1), .bulk(Array("b".utf8))]),
        .array([]), .status("OK"), .error("ERR bad"), .null, .null, .integer(-3),
        .array([.array([.array([])])]),
    ]

    static func parse(_ chunks: [String]) throws -> [RedisReply] {
        let parser = RESPParser()
        var replies: [RedisReply] = []
        for chunk in chunks {
            try parser.feed(ByteBuffer(string: chunk))
            while let reply = try parser.next() { replies.append(reply) }
        }
        return replies
    }

    @Test func wholeStream() throws {
        #expect(try Self.parse([Self.stream]) == Self.expected)
    }

    @Test func oneByteAtATime() throws {
        #expect(try Self.parse(Self.stream.map { String($0) }) == Self.expected)
    }

    @Test func arraysOfBulkStringsAreFlat() throws {
        let replies = try Self.parse(["*3\r\n$4\r\nm:01\r\n$2\r\n-7\r\n$0\r\n\r\n"])
        guard case .bulkStrings(let strings) = replies.first else {
            Issue.record("not flat: \(replies)")
            return
        }
        #expect(strings.count == 3)
        #expect(Array(strings[0]) == Array("m:01".utf8) && Array(strings[1]) == Array("-7".utf8) && strings[2].isEmpty)
        // A nested array of bulk strings is flat too, inside an array of values.
        let nested = try Self.parse(["*2\r\n*1\r\n$1\r\nx\r\n:1\r\n"])
        guard case .array(let elements) = nested.first, case .bulkStrings = elements.first else {
            Issue.record("nested not flat: \(nested)")
            return
        }
    }

    @Test func aProtocolErrorThrowsAndLeavesNothingHalfBuilt() throws {
        let parser = RESPParser()
        try parser.feed(ByteBuffer(string: "*2\r\n$1\r\na\r\n"))
        #expect(try parser.next() == nil)
        try? parser.feed(ByteBuffer(string: "!bad\r\n"))
        #expect(throws: RedisError.self) { _ = try parser.next() }
    }
}

import Testing

@testable import Redis

/// Scores arrive as text: whole numbers take the fast path, anything else Double's parser,
/// and both agree.
@Suite struct RedisReplyTests {
    @Test(arguments: ["0", "-1", "42", "-123456789012345", "1.5", "-0.25", "inf", "-inf", "1e3", "1234567890123456", "", "-", "12a"])
    func scoresParseAsDoubleWould(text: String) {
        #expect(RedisReply.bulk(Array(text.utf8)).double == Double(text), "\(text)")
    }

    @Test func wholeNumbersOnlyTakeTheFastPath() {
        #expect(RedisReply.wholeNumber(Array("-42".utf8)) == -42)
        #expect(RedisReply.wholeNumber(Array("999999999999999".utf8)) == 999_999_999_999_999)
        #expect(RedisReply.wholeNumber(Array("1234567890123456".utf8)) == nil)
        #expect(RedisReply.wholeNumber(Array("4.0".utf8)) == nil)
        #expect(RedisReply.wholeNumber([]) == nil)
    }
}

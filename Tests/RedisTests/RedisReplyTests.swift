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

/// Error replies: a pipeline's are thrown when asked, and those of a Redis that cannot serve
/// just now count as unavailability (503), the others as failures of the command.
@Suite struct RedisErrorReplyTests {
    @Test func throwingErrorsThrowsTheFirstErrorReply() throws {
        let fine: [RedisReply] = [.integer(1), .null, .bulk(Array("x".utf8))]
        #expect(try fine.throwingErrors() == fine)
        #expect(throws: RedisError.server("LOADING Redis is loading the dataset in memory")) {
            try [.integer(1), .error("LOADING Redis is loading the dataset in memory"), .error("ERR second")].throwingErrors()
        }
    }

    @Test func transientErrorRepliesAreUnavailability() {
        for message in [
            "LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script.",
            "MASTERDOWN Link with MASTER is down", "READONLY You can't write against a read only replica.",
            "OOM command not allowed when used memory > 'maxmemory'.", "TRYAGAIN Multiple keys request during rehashing",
        ] {
            #expect(RedisError.server(message).isUnavailable, "\(message)")
        }
        for message in ["WRONGTYPE Operation against a key holding the wrong kind of value", "ERR syntax error", "NOSCRIPT x", "LOADINGX"] {
            #expect(!RedisError.server(message).isUnavailable, "\(message)")
        }
    }
}

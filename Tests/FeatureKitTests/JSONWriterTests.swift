import Foundation
import SwitchyardCore
import SwitchyardJSON
import Testing

@testable import FeatureKit

@Suite struct JSONWriterTests {
    private func text(_ value: JSONValue) -> String { String(decoding: value.encoded(), as: UTF8.self) }

    @Test func compactWithSortedKeys() {
        let value: JSONValue = ["b": [1, 2.5, nil, true], "a": ["z": "x", "y": false], "c": -7]
        #expect(text(value) == #"{"a":{"y":false,"z":"x"},"b":[1,2.5,null,true],"c":-7}"#)
    }

    @Test func stringsAreEscaped() {
        #expect(text("quote\" back\\ nl\n tab\t nul\u{0} bell\u{7} slash/ é 🚂") == #""quote\" back\\ nl\n tab\t nul\u0000 bell\u0007 slash/ é 🚂""#)
        // Escapes first, last, back to back, and none at all.
        #expect(text("\"a\n\n\\") == #""\"a\n\n\\""#)
        #expect(text("") == #""""#)
        #expect(text("plain \u{7f}") == "\"plain \u{7f}\"")
    }

    @Test func roundTripsThroughTheParser() throws {
        let value: JSONValue = ["list": [["deep": ["k": "v\u{1f}"]], 1e300, -0.5, .int(Int64.min), .int(Int64.max)], "": ""]
        #expect(try JSONParser.parse(value.encoded()) == value)
        let integers = JSONValue.array([.int(0), .int(-7), .int(1_000), .int(Int64.min)])
        #expect(String(decoding: integers.encoded(), as: UTF8.self) == "[0,-7,1000,-9223372036854775808]")
    }

    @Test func agreesWithJSONSerialization() throws {
        let value: JSONValue = ["n": 12, "s": "ünï\u{1}", "a": [false, nil]]
        let parsed = try JSONSerialization.jsonObject(with: Data(value.encoded())) as? [String: Any]
        #expect(parsed?["n"] as? Int == 12)
        #expect(parsed?["s"] as? String == "ünï\u{1}")
    }
}

@Suite struct TimestampTests {
    @Test func microsecondsAreKept() {
        #expect(iso8601(microseconds: 1_596_129_573_123_456) == "2020-07-30T17:19:33.123456Z")
        #expect(iso8601(microseconds: 1_596_129_573_000_001) == "2020-07-30T17:19:33.000001Z")
    }

    @Test func calendarEdges() {
        #expect(iso8601(microseconds: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(iso8601(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(iso8601(microseconds: 951_782_400_000_000) == "2000-02-29T00:00:00.000000Z")
        #expect(iso8601(microseconds: 4_107_542_399_000_000) == "2100-02-28T23:59:59.000000Z")
        #expect(iso8601(microseconds: 4_107_542_400_000_000) == "2100-03-01T00:00:00.000000Z")
    }

    @Test func agreesWithFoundationOverManyDays() {
        let style = Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day().time(includingFractionalSeconds: false)
        let random = RandomSource.seeded(7)
        for _ in 0..<2_000 {
            let seconds = Int64(random.int(in: -2_000_000_000...8_000_000_000))
            let expected = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(style) + ".000000Z"
            #expect(iso8601(microseconds: seconds * 1_000_000) == expected)
        }
    }
}

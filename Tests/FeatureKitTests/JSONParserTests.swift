import SwitchyardJSON
import Testing

@testable import FeatureKit

@Suite struct JSONParserTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test func parsesEveryKind() throws {
        #expect(
            try parse(#" {"a": [1, -2.5, 1e3, true, false, null, "x"], "b": {}} "#) == [
                "a": [1, .number("-2.5"), .number("1e3"), true, false, nil, "x"], "b": [:],
            ])
        #expect(try parse("9223372036854775807") == .int(Int64.max))
        #expect(try parse("9223372036854775808") == .number("9223372036854775808"))
        #expect(try parse("-0") == .int(0))
        #expect(try parse("[]") == [])
    }

    @Test func decodesEscapesAndUnicode() throws {
        #expect(try parse(#""a\"b\\c\/\n\t\u00e9\ud83d\ude82""#) == .string("a\"b\\c/\n\té🚂"))
        #expect(try parse("\"ünï ✓\"") == .string("ünï ✓"))
        #expect(try parse(#""nul\u0000byte""#) == .string("nul\u{0}byte"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.", ".5", "+1", "tru", "nul", "\"open",
        "\"tab\there\"", #""\x""#, #""\ud800""#, "1 2", "{a:1}", "[1e999]", "\"\u{1}\"",
    ])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func capsNesting() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParser.SyntaxError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(throws: Never.self) { try parse(fine) }
    }

    @Test func roundTripsThroughTheEncoder() throws {
        let value: JSONValue = ["text": "q\"uote\n", "list": [1, 2.5, false, nil], "nested": ["k": "v"]]
        #expect(try JSONParser.parse(Array(value.encoded())) == value)
    }
}

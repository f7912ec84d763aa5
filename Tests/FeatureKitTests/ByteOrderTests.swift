import SwitchyardCore
import Testing

@Suite struct ByteOrderTests {
    /// The same order as comparing the UTF-8 views, over strings that share prefixes, are empty,
    /// hold multi-byte characters and differ only in length.
    @Test func agreesWithTheUTF8ViewsOrder() {
        let pieces = ["", "a", "b", "ab", "a\u{0}", "é", "e\u{301}", "z", "Z", "€", "日本", "😀", "~"]
        var random = SplitMix64(seed: 7)
        var strings = pieces
        for _ in 0..<500 {
            strings.append((0..<Int.random(in: 0...4, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
        }
        for left in strings {
            for right in strings.prefix(60) {
                #expect(left.precedesInByteOrder(right) == left.utf8.lexicographicallyPrecedes(right.utf8), "\(left) < \(right)")
            }
        }
    }

    @Test func sortsLikePostgreSQLsCCollation() {
        let sorted = ["b", "B", "a", "é", "ab", "", "a b"].sorted { $0.precedesInByteOrder($1) }
        #expect(sorted == ["", "B", "a", "a b", "ab", "b", "é"])
    }
}

import FeatureKit
import SwitchyardJSON
import Testing

@testable import PathStats

@Suite struct PathKeyTests {
    @Test(arguments: [
        ("/a", "a"), ("/a/", "a"), ("//a//", "a"), ("/product/1/", "product/1"),
        ("/a/b/c/d/e/f/g", "a/b/c/d/e/f/g"), ("/a//b///c/", "a/b/c"), ("/b%20c/%2F/", "b%20c/%2F"),
        ("/ünï/✓", "ünï/✓"),
    ])
    func normalizes(raw: String, key: String) {
        #expect(PathKey.normalize(Substring(raw)) == .success(key))
    }

    @Test(arguments: ["", "/", "//", "///"])
    func emptyPathsHaveNoKey(raw: String) {
        #expect(PathKey.normalize(Substring(raw)) == .failure(.empty))
    }

    @Test func lengthLimitCountsBytes() {
        let limit = String(repeating: "x", count: 2048)
        #expect(PathKey.normalize(Substring("/" + limit + "/")) == .success(limit))
        #expect(PathKey.normalize(Substring("/" + limit + "x")) == .failure(.tooLong(bytes: 2049)))
        let wide = String(repeating: "é", count: 1025)  // 2,050 bytes in 1,025 characters
        #expect(PathKey.normalize(Substring(wide)) == .failure(.tooLong(bytes: 2050)))
    }
}

@Suite struct PathGeneratorTests {
    @Test func pathsFollowTheChallengeRules() {
        let generator = PathGenerator(random: .seeded(7))
        #expect(generator.pool.count == 3)
        #expect(generator.pool.allSatisfy { $0.count == 3 && $0.allSatisfy { $0.isASCII && $0.isLetter } })
        var segmentCounts = Set<Int>()
        for _ in 0..<2000 {
            let path = generator.nextPath()
            #expect(path.hasSuffix("/"))
            let segments = path.dropLast().split(separator: "/", omittingEmptySubsequences: false)
            #expect((1...6).contains(segments.count))
            #expect(segments.allSatisfy { generator.pool.contains(String($0)) })
            segmentCounts.insert(segments.count)
        }
        #expect(segmentCounts == Set(1...6))
    }

    @Test func sameSeedSamePaths() {
        let first = PathGenerator(random: .seeded(42))
        let second = PathGenerator(random: .seeded(42))
        #expect(first.pool == second.pool)
        #expect((0..<50).map { _ in first.nextPath() } == (0..<50).map { _ in second.nextPath() })
        #expect(PathGenerator(random: .seeded(43)).pool != first.pool)
    }

    @Test func jsonEscapesEveryPath() {
        #expect(PathCount(path: "a\"b\\c\n", count: 3).json == #"{"path":"a\"b\\c\n","count":3}"#)
        #expect(jsonQuoted("\u{1}") == #""\u0001""#)
    }
}

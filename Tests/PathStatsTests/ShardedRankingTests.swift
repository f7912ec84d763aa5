import SwitchyardCore
import Synchronization
import Testing

@testable import PathStats

/// Sorted shards in memory, counting what is read from them.
final class MemoryRankingShards: RankingShards {
    let shards: [[PathCount]]
    let rowsRead = Atomic<Int>(0)
    let roundTrips = Atomic<Int>(0)

    init(_ rows: [PathCount], shards count: Int) {
        var shards = Array(repeating: [PathCount](), count: count)
        for row in rows { shards[ShardedPathStatsStore.shard(of: row.path, among: count)].append(row) }
        self.shards = shards.map { $0.sorted { $0.ranks(before: $1) } }
    }

    var count: Int { shards.count }

    func sizes(alongWith ranges: [ShardRange]) async throws -> (sizes: [Int], ranges: [[PathCount]]) {
        (shards.map(\.count), try await self.ranges(ranges))
    }

    func ranges(_ ranges: [ShardRange]) async throws -> [[PathCount]] {
        roundTrips.add(1, ordering: .relaxed)
        return ranges.map { range in
            let rows = Array(shards[range.shard].dropFirst(range.start).prefix(range.count))
            rowsRead.add(rows.count, ordering: .relaxed)
            return rows
        }
    }

    func ranks(before row: PathCount, in shards: [Int]) async throws -> [Int] {
        roundTrips.add(1, ordering: .relaxed)
        return shards.map { shard in self.shards[shard].count { $0.ranks(before: row) } }
    }
}

@Suite struct ShardedRankingTests {
    /// Many ties (most paths hit once or twice), paths that differ only in case and length.
    static func rows(_ n: Int, seed: UInt64) -> [PathCount] {
        let random = RandomSource.seeded(seed)
        return (0..<n).map { index in
            let count = Int64(random.next() % 8 == 0 ? random.int(in: 1...1000) : random.int(in: 1...2))
            let path = (random.next() % 2 == 0 ? "A" : "a") + String(index, radix: 36) + (index % 3 == 0 ? "/x" : "")
            return PathCount(path: path, count: count)
        }
    }

    static func single(_ rows: [PathCount]) -> [PathCount] { rows.sorted { $0.ranks(before: $1) } }

    @Test func pathsOrderByCountThenBytes() {
        #expect(PathCount(path: "z", count: 2).ranks(before: PathCount(path: "a", count: 1)))
        #expect(PathCount(path: "B", count: 1).ranks(before: PathCount(path: "a", count: 1)))
        #expect(PathCount(path: "a", count: 1).ranks(before: PathCount(path: "a/", count: 1)))
        // Byte order, not Swift's String order: "é" precomposed (C3 A9) after "e\u{301}" (65 CC 81).
        #expect(PathCount(path: "e\u{301}", count: 1).ranks(before: PathCount(path: "\u{e9}", count: 1)))
    }

    @Test(arguments: [1, 2, 3, 8]) func pagesAreTheMergeOfOneSet(shards count: Int) async throws {
        let rows = Self.rows(3000, seed: UInt64(count))
        let expected = Self.single(rows)
        let ranking = ShardedRanking(shards: MemoryRankingShards(rows, shards: count))
        for offset in [0, 1, 7, 99, 100, 1234, 2999, 3000, 5000] {
            for limit in [1, 10, 100, 1000] {
                let page = try await ranking.totalAndRanking(offset: offset, limit: limit)
                #expect(page.total == 3000)
                #expect(page.ranking == Array(expected.dropFirst(offset).prefix(limit)), "offset \(offset) limit \(limit)")
            }
        }
    }

    @Test func theCursorReadsOnToTheEnd() async throws {
        let rows = Self.rows(20_000, seed: 7)
        let shards = MemoryRankingShards(rows, shards: 8)
        var page = try await ShardedRanking(shards: shards).totalAndRanking(offset: 0, limit: 1000)
        var streamed = page.ranking
        while true {
            let chunk = try await page.rest.next(5000)
            if chunk.isEmpty { break }
            streamed += chunk
        }
        #expect(streamed == Self.single(rows))
        // Each row read once, give or take the buffers' margins.
        #expect(shards.rowsRead.load(ordering: .relaxed) == 20_000)
    }

    /// A deep page costs round trips in the logarithm of the shards' sizes, and the rows of the
    /// page only: never the ranks before it.
    @Test func aDeepOffsetIsFoundWithoutReadingTheRanksBeforeIt() async throws {
        let rows = Self.rows(50_000, seed: 11)
        let shards = MemoryRankingShards(rows, shards: 8)
        let page = try await ShardedRanking(shards: shards).totalAndRanking(offset: 40_000, limit: 100)
        #expect(page.ranking == Array(Self.single(rows)[40_000..<40_100]))
        #expect(shards.rowsRead.load(ordering: .relaxed) < 1000)
        #expect(shards.roundTrips.load(ordering: .relaxed) < 8 * 2 * 17)
    }

    @Test func theSplitPlacesEveryShardsShareBeforeTheOffset() async throws {
        let rows = Self.rows(5000, seed: 3)
        let shards = MemoryRankingShards(rows, shards: 5)
        let ranking = ShardedRanking(shards: shards)
        let expected = Self.single(rows)
        for offset in [0, 1, 2, 500, 4999, 5000] {
            let split = try await ranking.split(at: offset, sizes: shards.shards.map(\.count))
            #expect(split.reduce(0, +) == offset)
            for (shard, taken) in split.enumerated() {
                let before = Set(expected.prefix(offset).map(\.path))
                #expect(shards.shards[shard].prefix(taken).allSatisfy { before.contains($0.path) })
                #expect(shards.shards[shard].dropFirst(taken).allSatisfy { !before.contains($0.path) })
            }
        }
    }
}

/// The ranks `start ..< start + count` of one shard.
struct ShardRange: Sendable, Equatable {
    let shard: Int
    let start: Int
    let count: Int
}

/// A ranking kept in several sorted sets, each path in exactly one of them. Every call is one
/// round trip, whatever the number of shards.
protocol RankingShards: Sendable {
    var count: Int { get }
    /// Each shard's size, read together with the ranges asked for.
    func sizes(alongWith ranges: [ShardRange]) async throws -> (sizes: [Int], ranges: [[PathCount]])
    func ranges(_ ranges: [ShardRange]) async throws -> [[PathCount]]
    /// How many members of each of `shards` rank before `row` (a row that is in none of them).
    func ranks(before row: PathCount, in shards: [Int]) async throws -> [Int]
}

extension PathCount {
    /// The ranking's order: most hits first, ties by path in byte order.
    func ranks(before other: PathCount) -> Bool {
        count != other.count ? count > other.count : path.utf8.lexicographicallyPrecedes(other.path.utf8)
    }
}

/// The exact merge of sharded rankings: the ranks of all shards together, in the order one
/// sorted set would give them.
struct ShardedRanking<Shards: RankingShards>: Sendable {
    let shards: Shards

    func totalAndRanking(offset: Int, limit: Int) async throws -> (total: Int64, ranking: [PathCount], rest: MergeCursor<Shards>) {
        var cursor = MergeCursor(ranking: self)
        let total: Int
        if offset == 0 {
            // The sizes and the first rows of every shard in one round trip.
            let first = try await shards.sizes(alongWith: cursor.fills(for: limit))
            total = first.sizes.reduce(0, +)
            cursor.take(first.ranges, asked: cursor.fills(for: limit))
        } else {
            let sizes = try await shards.sizes(alongWith: []).sizes
            total = sizes.reduce(0, +)
            cursor.starts = try await split(at: offset, sizes: sizes)
        }
        let ranking = try await cursor.next(limit)
        return (Int64(total), ranking, cursor)
    }

    /// Per shard, how many of its members rank before the merged rank `offset`: a selection over
    /// sorted shards, each step halving the widest shard's range of candidates, so a deep offset
    /// costs a few dozen round trips, never a read of the ranks before it.
    func split(at offset: Int, sizes: [Int]) async throws -> [Int] {
        guard offset < sizes.reduce(0, +) else { return sizes }
        // The split of shard i lies in low[i]...high[i]; no shard gives more than `offset`.
        var low = Array(repeating: 0, count: sizes.count)
        var high = sizes.map { min($0, offset) }
        while low.reduce(0, +) != offset, high.reduce(0, +) != offset {
            let widths = zip(low, high).map { $1 - $0 }
            guard let widest = widths.indices.max(by: { widths[$0] < widths[$1] }), widths[widest] > 0 else {
                break  // ranks moved under the reads (hits meanwhile): the nearest split there is
            }
            let middle = (low[widest] + high[widest]) / 2
            guard let pivot = try await shards.ranges([ShardRange(shard: widest, start: middle, count: 1)])[0].first else {
                high[widest] = middle  // the shard shrank meanwhile
                continue
            }
            let others = sizes.indices.filter { $0 != widest }
            var before = Array(repeating: middle, count: sizes.count)
            for (shard, rank) in zip(others, try await shards.ranks(before: pivot, in: others)) { before[shard] = rank }
            let rank = before.reduce(0, +)  // the pivot's merged rank
            if rank == offset { return before }
            for shard in sizes.indices {
                if rank < offset {
                    low[shard] = min(high[shard], max(low[shard], shard == widest ? middle + 1 : before[shard]))
                } else {
                    high[shard] = max(low[shard], min(high[shard], before[shard]))
                }
            }
        }
        return low.reduce(0, +) == offset ? low : high
    }
}

/// Reads a merged ranking onwards, a chunk at a time, holding a few rows per shard: memory stays
/// bounded by the chunk however many paths there are. A value: a copy goes on on its own.
struct MergeCursor<Shards: RankingShards>: RankingCursor {
    let ranking: ShardedRanking<Shards>
    /// Per shard, the rank of its first row not yet read; nil until a split has placed them.
    var starts: [Int]?
    var buffers: [ArraySlice<PathCount>]
    var exhausted: [Bool]

    init(ranking: ShardedRanking<Shards>) {
        self.ranking = ranking
        let shards = ranking.shards.count
        (starts, buffers, exhausted) = (
            Array(repeating: 0, count: shards), Array(repeating: [], count: shards), Array(repeating: false, count: shards)
        )
    }

    /// The reads that refill every empty shard for a chunk of `limit` rows: its share with a
    /// margin, so a chunk usually needs one round trip.
    func fills(for limit: Int) -> [ShardRange] {
        let share = limit * 5 / 4 / buffers.count + 8
        return buffers.indices.filter { buffers[$0].isEmpty && !exhausted[$0] }.map {
            ShardRange(shard: $0, start: starts?[$0] ?? 0, count: share)
        }
    }

    mutating func take(_ rows: [[PathCount]], asked: [ShardRange]) {
        for (range, rows) in zip(asked, rows) {
            buffers[range.shard] = rows[...]
            starts?[range.shard] += rows.count
            exhausted[range.shard] = rows.count < range.count
        }
    }

    mutating func next(_ limit: Int) async throws -> [PathCount] {
        var out: [PathCount] = []
        out.reserveCapacity(limit)
        while out.count < limit {
            let fills = fills(for: limit - out.count)
            if !fills.isEmpty { take(try await ranking.shards.ranges(fills), asked: fills) }
            var best: Int?
            for shard in buffers.indices {
                guard let head = buffers[shard].first else { continue }
                if let current = best, !head.ranks(before: buffers[current].first!) { continue }
                best = shard
            }
            guard let best else { break }
            out.append(buffers[best].removeFirst())
        }
        return out
    }
}

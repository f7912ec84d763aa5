import SwitchyardCore
import Synchronization

@testable import AreaMode

/// The cache contract in memory, counting what it served.
final class MemoryAreaStatsCache: AreaStatsCache {
    let contents = Mutex<(versions: [Int: Int], entries: [Int: (version: String, body: String)], hits: Int)>(([:], [:], 0))

    func lookup(area: Int) async -> AreaStatsLookup? {
        contents.withLock { contents in
            let version = String(contents.versions[area] ?? 0)
            let body = contents.entries[area].flatMap { $0.version == version ? $0.body : nil }
            if body != nil { contents.hits += 1 }
            return AreaStatsLookup(version: version, body: body)
        }
    }

    func store(area: Int, version: String, body: String) async {
        contents.withLock { $0.entries[area] = (version, body) }
    }

    func invalidate(areas: Set<Int>) async {
        contents.withLock { contents in
            for area in areas { contents.versions[area, default: 0] += 1 }
        }
    }
}

import SwitchyardJSON

/// The types that cross path-stats' layers, and their JSON: the one place the feature encodes.
/// Its answers are written as JSON text, not built as values: a hit's answer is the hot path's
/// whole response, and the streamed ranking of a million paths would otherwise build a million
/// values (`RankingFormat` writes the ranking rows).

/// One ranked path.
struct PathCount: Sendable, Equatable {
    let path: String
    let count: Int64
}

struct LoadTestReport: Sendable {
    let requested: Int
    let succeeded: Int
    let failed: Int
    let elapsedMilliseconds: Int
    let pool: [String]
    let paths: [PathCount]

    var json: JSONValue {
        [
            "requested": .int(Int64(requested)), "succeeded": .int(Int64(succeeded)),
            "failed": .int(Int64(failed)), "elapsed_ms": .int(Int64(elapsedMilliseconds)),
            "pool": .array(pool.map { .string($0) }),
            "paths": .array(paths.map { ["path": .string($0.path), "count": .int($0.count)] }),
        ]
    }
}

extension PathCount {
    /// `{"path": ..., "count": ...}`, written directly: this is the hot path's whole response.
    var json: String { "{\"path\":\(jsonQuoted(path)),\"count\":\(count)}" }
}

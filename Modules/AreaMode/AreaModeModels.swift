/// One area's ranking.
struct AreaStats: Sendable, Equatable {
    let area: Int
    let modes: [(mode: String, count: Int)]

    var activeUsers: Int { modes.reduce(0) { $0 + $1.count } }
    var mostPlayed: String? { modes.first?.mode }

    static func == (lhs: AreaStats, rhs: AreaStats) -> Bool {
        lhs.area == rhs.area && lhs.modes.elementsEqual(rhs.modes) { $0 == $1 }
    }
}

struct AreaSummary: Sendable, Equatable {
    let area: Int
    let mostPlayed: String
    let activeUsers: Int
}

import SwitchyardCore

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

/// Outcome counts of one or more batches.
struct IngestReport: Sendable, Equatable {
    var received = 0
    var counts: [Outcome: Int] = [:]

    mutating func add(_ outcomes: [Outcome]) {
        received += outcomes.count
        for outcome in outcomes { counts[outcome, default: 0] += 1 }
    }

    mutating func add(_ other: IngestReport) {
        received += other.received
        counts.merge(other.counts, uniquingKeysWith: +)
    }
}

/// `/generate_data/` query parameters.
struct GenerationParameters: Sendable {
    var count = 1000
    var users: Int?
    var modes = 10
    var areas = 101...119
    var logoutRatio = 0.5
    var seed: UInt64?
    /// Users are `<userPrefix><n>` for n in 1...users.
    var userPrefix = "user-"

    /// `count` LOGINs of random users in random places, each followed by the same user's LOGOUT
    /// with probability `logoutRatio`. The same seed gives the same events.
    func events(random: RandomSource) -> [AreaEvent] {
        let users = self.users ?? count
        var events: [AreaEvent] = []
        events.reserveCapacity(Int(Double(count) * (1 + logoutRatio)) + 1)
        for _ in 0..<count {
            let place = Place(area: random.int(in: areas), mode: "Modes\(random.int(in: 1...modes))")
            let user = "\(userPrefix)\(random.int(in: 1...max(users, 1)))"
            events.append(AreaEvent(place: place, userID: user, name: .login))
            if Double(random.next() >> 11) / Double(1 << 53) < logoutRatio {
                events.append(AreaEvent(place: place, userID: user, name: .logout))
            }
        }
        return events
    }
}

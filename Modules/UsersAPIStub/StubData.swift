import SwitchyardCore

/// The stub's users, games and progress: a pure function of the user count and the seed, so
/// every run (and every test) sees the same upstream.
public struct StubData: Sendable {
    public struct Game: Sendable, Equatable {
        public let id: Int64
        public let title: String
        public let available: Int64
    }

    public struct User: Sendable, Equatable {
        public let id: Int64
        public let name: String
        public let email: String
        /// Owned games and completed achievements in each, in library order.
        public let library: [(game: Game, completed: Int64)]

        public static func == (a: User, b: User) -> Bool {
            a.id == b.id && a.name == b.name && a.email == b.email
                && a.library.map(\.game) == b.library.map(\.game) && a.library.map(\.completed) == b.library.map(\.completed)
        }
    }

    /// Users 1...11 sit on the spec's boundary cases, in this order, with the level each must get.
    public static let boundaryCases: [(description: String, level: String)] = [
        ("10 games at 100%", "None"), ("11 at 75%", "Bronze"), ("11 at 76%", "Silver"),
        ("26 at 80%", "Silver"), ("26 at 81%", "Gold"), ("26 at 100%", "Gold"), ("50 at 100%", "Gold"),
        ("51 at 100%", "Platinum"), ("51 at 100% but one at 90%", "Gold"), ("no games", "None"),
        ("51 at 100% of which 5 have no achievements", "Platinum"),
    ]

    static let catalogSize: Int64 = 200
    /// Games 1...60 have exactly 100 achievements (boundary percentages are exact); the last
    /// ten have none.
    static let exactGames: Int64 = 60

    public let users: [User]
    public let games: [Game]

    public init(users count: Int, seed: UInt64) {
        let games = (1...Self.catalogSize).map { id in
            Game(id: id, title: Self.title(id, seed: seed), available: Self.available(id, seed: seed))
        }
        self.games = games
        users = (1..<(count + 1)).map { index in
            let id = Int64(index)
            let name = Self.name(id, seed: seed)
            let email = name.lowercased().replacingOccurrences(of: " ", with: ".") + ".\(id)@example.com"
            let library =
                index <= Self.boundaryCases.count
                ? Self.boundaryLibrary(case: index, games: games) : Self.library(id, seed: seed, games: games)
            return User(id: id, name: name, email: email, library: library)
        }
    }

    private static func boundaryLibrary(case index: Int, games: [Game]) -> [(game: Game, completed: Int64)] {
        let exact = Array(games.prefix(Int(exactGames)))
        let empty = Array(games.suffix(10))
        func owned(_ count: Int, percent: Int64) -> [(game: Game, completed: Int64)] {
            exact.prefix(count).map { ($0, percent) }
        }
        switch index {
        case 1: return owned(10, percent: 100)
        case 2: return owned(11, percent: 75)
        case 3: return owned(11, percent: 76)
        case 4: return owned(26, percent: 80)
        case 5: return owned(26, percent: 81)
        case 6: return owned(26, percent: 100)
        case 7: return owned(50, percent: 100)
        case 8: return owned(51, percent: 100)
        case 9: return owned(50, percent: 100) + [(exact[50], 90)]
        case 10: return []
        default: return owned(46, percent: 100) + empty.prefix(5).map { ($0, 0) }
        }
    }

    /// 0 to 60 distinct games (about 30); a fifth of users complete everything, a fifth stay
    /// above 80% and a fifth above 75% in every game, the rest anywhere.
    private static func library(_ id: Int64, seed: UInt64, games: [Game]) -> [(game: Game, completed: Int64)] {
        let random = RandomSource.seeded(seed ^ UInt64(id) &* 0x9E37_79B9_7F4A_7C15)
        let count = Int(random.next() % 61)
        let start = Int(random.next() % UInt64(games.count))
        let tier = random.next() % 5
        return (0..<count).map { offset in
            let game = games[(start + offset * 7) % games.count]
            let a = game.available
            let lowest: Int64 =
                switch tier {
                case 0: a
                case 1: a * 4 / 5 + 1
                case 2: a * 3 / 4 + 1
                default: 0
                }
            return (game, a == 0 ? 0 : lowest + Int64(random.next() % UInt64(a - min(lowest, a) + 1)))
        }
    }

    private static func available(_ id: Int64, seed: UInt64) -> Int64 {
        if id <= exactGames { return 100 }
        if id > catalogSize - 10 { return 0 }
        let random = RandomSource.seeded(seed &+ UInt64(id) &* 0xD1B5_4A32_D192_ED03)
        return Int64(5 + random.next() % 96)
    }

    private static let adjectives = ["Silent", "Iron", "Crimson", "Lost", "Hollow", "Golden", "Frozen", "Last", "Wild", "Hidden"]
    private static let nouns = ["Kingdom", "Signal", "Harbor", "Orbit", "Forest", "Engine", "Tide", "Citadel", "Garden", "Rift"]
    private static let firstNames = ["Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Radia", "Edsger"]
    private static let lastNames = ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Perlman", "Dijkstra"]

    private static func title(_ id: Int64, seed: UInt64) -> String {
        let random = RandomSource.seeded(seed &+ UInt64(id))
        return "\(adjectives[Int(random.next() % 10)]) \(nouns[Int(random.next() % 10)]) \(id)"
    }

    private static func name(_ id: Int64, seed: UInt64) -> String {
        let random = RandomSource.seeded(seed ^ (UInt64(id) << 20))
        return "\(firstNames[Int(random.next() % 10)]) \(lastNames[Int(random.next() % 10)])"
    }
}

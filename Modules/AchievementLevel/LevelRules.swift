/// A player's overall achievement level, highest first in the spec's table.
public enum Level: String, Sendable, CaseIterable {
    case none = "None", bronze = "Bronze", silver = "Silver", gold = "Gold", platinum = "Platinum"

    /// `?level=` values: the names, case-insensitively.
    init?(query: String) {
        guard let level = Self.allCases.first(where: { $0.rawValue.lowercased() == query.lowercased() }) else { return nil }
        self = level
    }
}

/// Progress in one owned game.
public struct GameProgress: Sendable, Equatable {
    public var completed: Int64
    public var available: Int64

    public init(completed: Int64, available: Int64) {
        self.completed = completed
        self.available = available
    }

    /// p = completed / available (1 when nothing is available), compared with `numerator /
    /// denominator` by cross multiplication: exact, no floating point. Counts are capped when
    /// parsed (`UsersAPI.maximumCount`), so the products cannot overflow.
    func isAbove(_ numerator: Int64, over denominator: Int64) -> Bool {
        available <= 0 ? numerator < denominator : completed * denominator > available * numerator
    }

    var isComplete: Bool { available <= 0 || completed >= available }
}

/// The level rules, fed one game at a time: games arrive from concurrent upstream calls in any
/// order, and once the level cannot change (one game at or below 75% settles Bronze) the
/// remaining calls are not needed.
public struct LevelTally: Sendable {
    public let gameCount: Int
    private var allComplete = true
    private var allAbove80 = true
    private var allAbove75 = true

    public init(gameCount: Int) {
        self.gameCount = gameCount
    }

    public mutating func add(_ game: GameProgress) {
        allComplete = allComplete && game.isComplete
        allAbove80 = allAbove80 && game.isAbove(4, over: 5)
        allAbove75 = allAbove75 && game.isAbove(3, over: 4)
    }

    /// The level once every game has been added.
    public var level: Level {
        if gameCount > 50 && allComplete { return .platinum }
        if gameCount > 25 && allAbove80 { return .gold }
        if gameCount > 10 && allAbove75 { return .silver }
        if gameCount > 10 { return .bronze }
        return .none
    }

    /// True when the games not yet added cannot change `level`.
    public var isSettled: Bool { gameCount <= 10 || !allAbove75 }

    /// The level of a whole library at once.
    public static func level(of games: [GameProgress]) -> Level {
        var tally = LevelTally(gameCount: games.count)
        games.forEach { tally.add($0) }
        return tally.level
    }
}

import Testing
import UsersAPIStub

@testable import AchievementLevel

@Suite struct LevelRulesTests {
    private func games(_ count: Int, percent: Int64, available: Int64 = 100) -> [GameProgress] {
        Array(repeating: GameProgress(completed: percent * available / 100, available: available), count: count)
    }

    @Test(arguments: [
        (10, 100, Level.none), (11, 75, .bronze), (11, 76, .silver), (26, 80, .silver), (26, 81, .gold),
        (26, 100, .gold), (50, 100, .gold), (51, 100, .platinum), (11, 0, .bronze), (0, 0, .none), (25, 100, .silver),
    ])
    func specBoundaries(count: Int, percent: Int64, expected: Level) {
        #expect(LevelTally.level(of: games(count, percent: percent)) == expected)
    }

    @Test func oneGameAt90PercentAmongPerfectOnesIsGold() {
        #expect(LevelTally.level(of: games(50, percent: 100) + [GameProgress(completed: 90, available: 100)]) == .gold)
    }

    @Test func gamesWithoutAchievementsCountAsComplete() {
        #expect(LevelTally.level(of: games(51, percent: 0, available: 0)) == .platinum)
        #expect(LevelTally.level(of: games(46, percent: 100) + games(5, percent: 0, available: 0)) == .platinum)
        #expect(LevelTally.level(of: games(11, percent: 0, available: 0)) == .silver)
    }

    /// Fractions that floating point gets wrong at the boundary: 4/5 exactly is not above 80%.
    @Test func comparisonsAreExact() {
        #expect(LevelTally.level(of: Array(repeating: GameProgress(completed: 4, available: 5), count: 26)) == .silver)
        #expect(LevelTally.level(of: Array(repeating: GameProgress(completed: 800_000_001, available: 1_000_000_000), count: 26)) == .gold)
        #expect(LevelTally.level(of: Array(repeating: GameProgress(completed: 3, available: 4), count: 11)) == .bronze)
        #expect(LevelTally.level(of: Array(repeating: GameProgress(completed: 7, available: 9), count: 11)) == .silver)
    }

    @Test func settlesOnlyWhenTheRestCannotMatter() {
        var tally = LevelTally(gameCount: 30)
        #expect(!tally.isSettled)
        tally.add(GameProgress(completed: 79, available: 100))
        #expect(!tally.isSettled)  // Silver is still possible.
        tally.add(GameProgress(completed: 75, available: 100))
        #expect(tally.isSettled && tally.level == .bronze)
        #expect(LevelTally(gameCount: 10).isSettled)
    }

    @Test func levelQueryValuesAreCaseInsensitive() {
        #expect(Level(query: "GoLd") == .gold)
        #expect(Level(query: "none") == Level.none)
        #expect(Level(query: "diamond") == nil)
    }
}

@Suite struct StubDataTests {
    @Test func boundaryUsersGetTheirLevels() {
        let data = StubData(users: 50, seed: 3)
        for (index, boundary) in StubData.boundaryCases.enumerated() {
            let library = data.users[index].library.map { GameProgress(completed: $0.completed, available: $0.game.available) }
            #expect(LevelTally.level(of: library).rawValue == boundary.level, "\(boundary.description)")
        }
    }

    @Test func sameSeedSameData() {
        #expect(StubData(users: 300, seed: 9).users == StubData(users: 300, seed: 9).users)
        #expect(StubData(users: 300, seed: 9).users != StubData(users: 300, seed: 10).users)
    }

    @Test func generatedUsersCoverEveryLevelAndAverageAboutThirtyGames() {
        let users = StubData(users: 1_000, seed: 1).users
        let levels = Set(
            users.map { user in
                LevelTally.level(of: user.library.map { GameProgress(completed: $0.completed, available: $0.game.available) })
            })
        #expect(levels == Set(Level.allCases))
        let average = Double(users.map(\.library.count).reduce(0, +)) / Double(users.count)
        #expect((25...35).contains(average))
        #expect(users.allSatisfy { Set($0.library.map(\.game.id)).count == $0.library.count })
    }
}

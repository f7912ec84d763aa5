import FeatureKit
import SwitchyardCore

/// The challenge's load-test paths: per run, a pool of 3 random strings of 3 ASCII letters
/// (lowercase only in the original profile, as the reference drew them); each path has 1 to 6
/// segments drawn from the pool, and a trailing slash.
struct PathGenerator: Sendable {
    static let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    static let lowercase = Array(letters.prefix(26))

    let random: RandomSource
    let pool: [String]

    init(random: RandomSource, letters: [Character] = Self.letters) {
        self.random = random
        pool = (0..<3).map { _ in String((0..<3).map { _ in letters[random.int(in: 0...(letters.count - 1))] }) }
    }

    /// One path relative to `/api/`, e.g. `xyz/abc/xyz/`.
    func nextPath() -> String {
        let segments = random.int(in: 1...6)
        return (0..<segments).map { _ in pool[random.int(in: 0...2)] }.joined(separator: "/") + "/"
    }
}

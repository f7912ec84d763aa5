import Synchronization

/// Where a feature draws randomness; tests pass a seeded source for reproducible runs.
public struct RandomSource: Sendable {
    public var next: @Sendable () -> UInt64

    public init(next: @escaping @Sendable () -> UInt64) {
        self.next = next
    }

    public static let system = RandomSource {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }

    /// A reproducible sequence (SplitMix64) shared safely between tasks.
    public static func seeded(_ seed: UInt64) -> RandomSource {
        let state = Mutex(SplitMix64(seed: seed))
        return RandomSource { state.withLock { $0.next() } }
    }

    /// A uniform integer in `range`, without modulo bias.
    public func int(in range: ClosedRange<Int>) -> Int {
        var generator = Generator(source: self)
        return Int.random(in: range, using: &generator)
    }

    /// Adapts the source to Swift's generator protocol for `shuffled(using:)` and friends.
    public struct Generator: RandomNumberGenerator {
        let source: RandomSource

        public init(source: RandomSource) {
            self.source = source
        }

        public mutating func next() -> UInt64 { source.next() }
    }
}

/// SplitMix64: a small, fast generator for bulk draws by one task (millions of values without a
/// lock or a system call each), seeded from a `RandomSource`.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

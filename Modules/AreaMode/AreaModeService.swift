import FeatureKit
import Metrics
import SwitchyardCore
import SwitchyardJSON

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

    var outcomeFields: [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: Outcome.allCases.map { ($0.rawValue, JSONValue.int(Int64(counts[$0] ?? 0))) })
    }
}

/// The rules of area-mode around the store: ingest, read through the cache, generate data.
struct AreaModeService: Sendable {
    let store: any AreaModeStore
    let cache: any AreaStatsCache
    let eventCounters: [Outcome: Counter]
    let cacheHits: Counter
    let cacheMisses: Counter
    let generators = BusyGate()
    /// Concurrent requests for the same area share a read that began after they arrived, so
    /// read-after-write holds for each of them.
    let statsReads = CoalescedReads<String>()
    /// How the cached stats body is written: the profile's shape (README, "One encoding rule").
    let statsJSON: @Sendable (AreaStats) -> JSONValue

    init(
        store: any AreaModeStore, cache: any AreaStatsCache, metrics: any MetricsFactory,
        statsJSON: @escaping @Sendable (AreaStats) -> JSONValue = AreaModeService.json
    ) {
        self.store = store
        self.cache = cache
        self.statsJSON = statsJSON
        eventCounters = Dictionary(
            uniqueKeysWithValues: Outcome.allCases.map { outcome in
                (outcome, Counter(label: "area_mode_events_total", dimensions: [("outcome", outcome.rawValue)], factory: metrics))
            })
        cacheHits = Counter(label: "area_mode_cache_requests_total", dimensions: [("result", "hit")], factory: metrics)
        cacheMisses = Counter(label: "area_mode_cache_requests_total", dimensions: [("result", "miss")], factory: metrics)
    }

    /// Applies one batch; returns after the commit and the cache invalidation, so any read that
    /// starts afterwards sees it.
    func ingest(_ events: [AreaEvent]) async throws -> IngestReport {
        var report = IngestReport()
        guard !events.isEmpty else { return report }
        let applied = try await store.apply(events)
        await cache.invalidate(areas: applied.changedAreas)
        report.add(applied.outcomes)
        for (outcome, count) in report.counts { eventCounters[outcome]?.increment(by: count) }
        return report
    }

    /// The area's stats as the response body, already encoded: the one route where a cached,
    /// pre-serialised body is measured to matter (README, "One encoding rule").
    func cachedStatsBody(area: Int) async throws -> String {
        try await statsReads.value(for: String(area)) { try await readStatsBody(area: area) }
    }

    private func readStatsBody(area: Int) async throws -> String {
        let lookup = await cache.lookup(area: area)
        if let body = lookup?.body {
            cacheHits.increment()
            return body
        }
        cacheMisses.increment()
        let body = String(decoding: statsJSON(try await store.stats(area: area)).encoded(), as: UTF8.self)
        if let lookup { await cache.store(area: area, version: lookup.version, body: body) }
        return body
    }

    func areas() async throws -> [AreaSummary] {
        try await store.areas()
    }

    /// Random events, applied through `ingest` in batches like any client's, on a bulk thread
    /// (drawing and modelling up to 2 million events is CPU work no event loop should do).
    /// One generator run at a time per process: each can write a million events.
    func generate(_ parameters: GenerationParameters, random: RandomSource) async throws -> IngestReport {
        try await offTheEventLoops { try await generators.run { try await runGenerator(parameters, random: random) } }
    }

    private func runGenerator(_ parameters: GenerationParameters, random: RandomSource) async throws -> IngestReport {
        var report = IngestReport()
        var batch: [AreaEvent] = []
        for event in parameters.events(random: random) {
            batch.append(event)
            if batch.count == EventValidation.maximumItems {
                report.add(try await ingest(batch))
                batch.removeAll(keepingCapacity: true)
            }
        }
        report.add(try await ingest(batch))
        return report
    }

    static func json(_ stats: AreaStats) -> JSONValue {
        [
            "area_code": .int(Int64(stats.area)),
            "most_played": stats.mostPlayed.map(JSONValue.string) ?? .null,
            "active_users": .int(Int64(stats.activeUsers)),
            "modes": .array(stats.modes.map { ["multiplayer_mode": .string($0.mode), "count": .int(Int64($0.count))] }),
        ]
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

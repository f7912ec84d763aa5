import FeatureKit
import Metrics
import SwitchyardCore
import SwitchyardJSON

/// The rules of area-mode around the store: ingest, read through the cache, generate data.
struct AreaModeService: Sendable {
    let store: any AreaModeStore
    let cache: any AreaStatsCache
    let eventCounters: [Outcome: Counter]
    let cacheHits: Counter
    let cacheMisses: Counter
    let generators = BusyGate()
    /// Concurrent requests for the same area in one event-loop turn share a read that began
    /// after they arrived, so read-after-write holds for each of them.
    let statsReads = CoalescedReads<String>(gathering: .forLoopTurn)
    /// How the cached stats body is written: the profile's shape (README, "One encoding rule").
    let statsJSON: @Sendable (AreaStats) -> JSONValue

    init(
        store: any AreaModeStore, cache: any AreaStatsCache, metrics: any MetricsFactory,
        statsJSON: @escaping @Sendable (AreaStats) -> JSONValue = \.json
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
}

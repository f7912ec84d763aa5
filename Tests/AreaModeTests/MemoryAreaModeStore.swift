import SwitchyardCore
import Synchronization

@testable import AreaMode

/// The store contract in memory: the same session model, counts per place.
final class MemoryAreaModeStore: AreaModeStore {
    private let contents = Mutex<(sessions: [ByteKey: Place], counts: [Place: Int])>(([:], [:]))

    func apply(_ events: [AreaEvent]) async throws -> (outcomes: [Outcome], changedAreas: Set<Int>) {
        contents.withLock { contents in
            let result = SessionModel.apply(events, sessions: contents.sessions)
            for (user, session) in result.sessions { contents.sessions[user] = session }
            for (place, change) in result.deltas { contents.counts[place, default: 0] += change }
            return (result.outcomes, Set(result.deltas.keys.map(\.area)))
        }
    }

    func stats(area: Int) async throws -> AreaStats {
        contents.withLock { contents in
            let modes = contents.counts.filter { $0.key.area == area && $0.value > 0 }
                .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            return AreaStats(area: area, modes: modes.map { ($0.key.mode, $0.value) })
        }
    }

    func areas() async throws -> [AreaSummary] {
        let areas = contents.withLock { Set($0.counts.filter { $0.value > 0 }.keys.map(\.area)) }
        var summaries: [AreaSummary] = []
        for area in areas.sorted() {
            let stats = try await stats(area: area)
            summaries.append(AreaSummary(area: area, mostPlayed: stats.mostPlayed!, activeUsers: stats.activeUsers))
        }
        return summaries
    }
}

import Foundation

/// What the operators' `/state` shows.
struct PointsState: Sendable, Equatable {
    let generation: Int
    let minNumber: Int
    let refreshedAt: Date?
    let users: Int
    let lastRefreshMilliseconds: Int?
}

/// Up to two qualifying users, read together with the state they belong to.
struct PointsQuery: Sendable {
    let generation: Int
    let minNumber: Int
    let users: [(id: Int, points: Int)]
}

enum RefreshOutcome: Sendable, Equatable {
    case refreshed(PointsState)
    /// Another refresh holds the lock (this process's or another replica's).
    case alreadyRunning
    /// Another replica already refreshed in this interval.
    case alreadyDone
}

/// What a handover returns: the time of the query before, the time recorded for this one (for
/// several queries handed over together, the first of theirs) and the newest published generation.
struct Handover: Sendable, Equatable {
    let previousMicroseconds: Int64?
    let recordedMicroseconds: Int64
    let publishedGeneration: Int?

    /// The handover of `queries` queries recorded a microsecond apart, split into theirs in
    /// order: each one's predecessor is the one before it, the first's the query before them all.
    func split(into queries: Int) -> [Handover] {
        (0..<queries).map { index in
            let recorded = recordedMicroseconds + Int64(index)
            return Handover(
                previousMicroseconds: index == 0 ? previousMicroseconds : recorded - 1, recordedMicroseconds: recorded,
                publishedGeneration: publishedGeneration)
        }
    }
}

/// `GET /`: up to two users above the bar, and the time of the query before this one.
struct PointsAnswer: Sendable {
    let users: [(id: Int, points: Int)]
    /// `users` as a JSON array, encoded once for their generation.
    let usersJSON: [UInt8]
    let previousQueryMicroseconds: Int64?
}

/// `GET /state` and `POST /refresh`: the refresh state and when the next scheduled refresh falls.
struct RefreshStatus: Sendable, Equatable {
    let state: PointsState
    let nextRefreshAt: Date
}

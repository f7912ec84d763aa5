import SwitchyardCore

/// Where a user plays: one (area, mode) at a time. Modes are equal when their bytes are, as
/// in PostgreSQL.
struct Place: Hashable, Sendable, Comparable {
    let area: Int
    let mode: String

    static func == (lhs: Place, rhs: Place) -> Bool {
        lhs.area == rhs.area && ByteKey(lhs.mode) == ByteKey(rhs.mode)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(area)
        hasher.combine(ByteKey(mode))
    }

    /// Area, then mode in byte order: the order rows are locked in, so writers never deadlock.
    static func < (lhs: Place, rhs: Place) -> Bool {
        lhs.area != rhs.area ? lhs.area < rhs.area : lhs.mode.precedesInByteOrder(rhs.mode)
    }
}

enum EventName: String, Sendable {
    case login = "LOGIN"
    case logout = "LOGOUT"
}

enum Outcome: String, Sendable, CaseIterable {
    case applied, moved, duplicate, ignored
}

struct AreaEvent: Sendable, Equatable {
    let place: Place
    let userID: String
    let name: EventName
}

/// The session rules as one pure function: given where the user is now and an event, the
/// outcome, where the user is afterwards, and how the counts change.
enum SessionModel {
    struct Step: Equatable {
        let outcome: Outcome
        let session: Place?
        /// (place, +1 or -1) for each count that changes.
        let deltas: [Delta]
    }

    struct Delta: Equatable {
        let place: Place
        let change: Int
    }

    static func apply(_ event: AreaEvent, to current: Place?) -> Step {
        switch (event.name, current) {
        case (.login, nil):
            return Step(outcome: .applied, session: event.place, deltas: [Delta(place: event.place, change: 1)])
        case (.login, let place?) where place == event.place:
            return Step(outcome: .duplicate, session: place, deltas: [])
        case (.login, let place?):
            return Step(
                outcome: .moved, session: event.place,
                deltas: [Delta(place: place, change: -1), Delta(place: event.place, change: 1)])
        case (.logout, let place?) where place == event.place:
            return Step(outcome: .applied, session: nil, deltas: [Delta(place: place, change: -1)])
        case (.logout, _):
            return Step(outcome: .ignored, session: current, deltas: [])
        }
    }

    /// A batch in order, starting from the stored sessions of its users.
    struct BatchResult {
        var outcomes: [Outcome] = []
        /// Final session of every user whose session changed.
        var sessions: [ByteKey: Place?] = [:]
        var deltas: [Place: Int] = [:]
    }

    /// Users are told apart by their ids' bytes (`ByteKey`), as the database tells them apart.
    static func apply(_ events: [AreaEvent], sessions stored: [ByteKey: Place]) -> BatchResult {
        var current = stored
        var result = BatchResult()
        result.outcomes.reserveCapacity(events.count)
        for event in events {
            let user = ByteKey(event.userID)
            let step = apply(event, to: current[user])
            result.outcomes.append(step.outcome)
            if step.session != current[user] {
                current[user] = step.session
                result.sessions[user] = .some(step.session)
            }
            for delta in step.deltas {
                result.deltas[delta.place, default: 0] += delta.change
            }
        }
        result.deltas = result.deltas.filter { $0.value != 0 }
        return result
    }
}

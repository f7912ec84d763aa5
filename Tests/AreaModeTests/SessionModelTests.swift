import SwitchyardCore
import Testing

@testable import AreaMode

@Suite struct SessionModelTests {
    static let here = Place(area: 101, mode: "Duo")
    static let there = Place(area: 102, mode: "Battle Royale")

    struct Case: Sendable, CustomTestStringConvertible {
        let name: EventName
        let place: Place
        let current: Place?
        let outcome: Outcome
        let after: Place?
        let deltas: [SessionModel.Delta]
        var testDescription: String { "\(name) at \(place) from \(String(describing: current))" }
    }

    @Test(arguments: [
        Case(name: .login, place: here, current: nil, outcome: .applied, after: here, deltas: [.init(place: here, change: 1)]),
        Case(name: .login, place: here, current: here, outcome: .duplicate, after: here, deltas: []),
        Case(
            name: .login, place: here, current: there, outcome: .moved, after: here,
            deltas: [.init(place: there, change: -1), .init(place: here, change: 1)]),
        Case(name: .logout, place: here, current: here, outcome: .applied, after: nil, deltas: [.init(place: here, change: -1)]),
        Case(name: .logout, place: here, current: nil, outcome: .ignored, after: nil, deltas: []),
        Case(name: .logout, place: here, current: there, outcome: .ignored, after: there, deltas: []),
        Case(
            name: .logout, place: Place(area: 101, mode: "duo"), current: here, outcome: .ignored, after: here,
            deltas: []),
    ])
    func transition(_ example: Case) {
        let step = SessionModel.apply(AreaEvent(place: example.place, userID: "u", name: example.name), to: example.current)
        #expect(step.outcome == example.outcome)
        #expect(step.session == example.after)
        #expect(step.deltas == example.deltas)
    }

    @Test func batchAppliesInOrderAndNetsDeltas() {
        let events = [
            AreaEvent(place: Self.here, userID: "a", name: .login),
            AreaEvent(place: Self.there, userID: "a", name: .login),
            AreaEvent(place: Self.there, userID: "a", name: .logout),
            AreaEvent(place: Self.here, userID: "b", name: .logout),
            AreaEvent(place: Self.here, userID: "c", name: .login),
        ]
        let result = SessionModel.apply(events, sessions: ["b": Self.here])
        #expect(result.outcomes == [.applied, .moved, .applied, .applied, .applied])
        let expected: [ByteKey: Place?] = ["a": nil, "b": nil, "c": Self.here]
        #expect(result.sessions == expected)
        // a: +1 here, -1 here +1 there, -1 there; b: -1 here; c: +1 here. Everything nets out.
        #expect(result.deltas.isEmpty)
    }

    @Test func countsNeverGoNegativeOverRandomReplays() {
        var sessions: [String: Place] = [:]
        var counts: [Place: Int] = [:]
        let places = [Self.here, Self.there, Place(area: 103, mode: "Solo")]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let event = AreaEvent(
                place: places.randomElement(using: &generator)!, userID: "u\(Int.random(in: 0..<20, using: &generator))",
                name: Bool.random(using: &generator) ? .login : .logout)
            let step = SessionModel.apply(event, to: sessions[event.userID])
            sessions[event.userID] = step.session
            for delta in step.deltas { counts[delta.place, default: 0] += delta.change }
            #expect(counts.values.allSatisfy { $0 >= 0 })
        }
        for place in places {
            #expect(counts[place, default: 0] == sessions.values.filter { $0 == place }.count)
        }
    }

    /// PostgreSQL tells ids apart by bytes; so does the model: `é` and `e` + U+0301 are
    /// two users, and two modes, though Swift's String calls them equal.
    @Test func idsAndModesThatDifferInBytesAreDistinct() {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        let events = [
            AreaEvent(place: Place(area: 101, mode: composed), userID: composed, name: .login),
            AreaEvent(place: Place(area: 101, mode: decomposed), userID: decomposed, name: .login),
            AreaEvent(place: Place(area: 101, mode: decomposed), userID: composed, name: .logout),
        ]
        let result = SessionModel.apply(events, sessions: [:])
        // The second LOGIN is another user's, not a duplicate; the LOGOUT names another mode.
        #expect(result.outcomes == [.applied, .applied, .ignored])
        #expect(result.sessions.count == 2)
        #expect(result.deltas.count == 2)
        #expect(Place(area: 101, mode: composed) != Place(area: 101, mode: decomposed))
    }

    @Test func placesOrderByAreaThenModeBytes() {
        let sorted = [Place(area: 102, mode: "a"), Place(area: 101, mode: "b"), Place(area: 101, mode: "B")].sorted()
        #expect(sorted == [Place(area: 101, mode: "B"), Place(area: 101, mode: "b"), Place(area: 102, mode: "a")])
    }
}

import FeatureKit
import SwitchyardJSON
import Testing

@testable import AreaMode

@Suite struct EventValidationTests {
    func event(_ area: JSONValue, _ mode: JSONValue = "Duo", _ user: JSONValue = "u-1", _ name: JSONValue = "LOGIN") -> JSONValue {
        ["area_code": area, "multiplayer_mode": mode, "user_id": user, "events_name": name]
    }

    @Test func acceptsNumericStringsAndAnyCase() throws {
        let events = try EventValidation.events(from: ["items": [event("101", "Battle Royale", "u", "logout"), event(999)]])
        #expect(
            events == [
                AreaEvent(place: Place(area: 101, mode: "Battle Royale"), userID: "u", name: .logout),
                AreaEvent(place: Place(area: 999, mode: "Duo"), userID: "u-1", name: .login),
            ])
    }

    @Test func emptyBatchesAreFine() throws {
        #expect(try EventValidation.events(from: [:]).isEmpty)
        #expect(try EventValidation.events(from: []).isEmpty)
        #expect(try EventValidation.events(from: ["items": []]).isEmpty)
    }

    @Test func reportsEveryBadFieldOfEveryItem() {
        let error = #expect(throws: APIError.self) {
            try EventValidation.events(from: [
                "items": [
                    event(101), event(1000), event("12a"), event(101, "B@d"), event(101, "Duo", "bad\u{7}id"),
                    event(101, "Duo", "u", "JUMP"), event(101.5), "not an object",
                ]
            ])
        }
        #expect(
            error?.details.compactMap { $0["field"] } == [
                "items[1].area_code", "items[2].area_code", "items[3].multiplayer_mode", "items[4].user_id",
                "items[5].events_name", "items[6].area_code", "items[7]",
            ])
    }

    @Test func moreThanTenThousandItemsIsTooLarge() {
        let items = JSONValue.array(Array(repeating: event(101), count: 10_001))
        let error = #expect(throws: APIError.self) { try EventValidation.events(from: ["items": items]) }
        #expect(error?.code == "PAYLOAD_TOO_LARGE")
        #expect(throws: Never.self) {
            try EventValidation.events(from: ["items": .array(Array(repeating: event(101), count: 10_000))])
        }
    }

    @Test func generatedEventsRepeatForASeed() {
        let parameters = GenerationParameters(count: 200, users: 50, modes: 3, areas: 101...103, logoutRatio: 0.3, seed: 9)
        let first = parameters.events(random: .seeded(9))
        #expect(first == parameters.events(random: .seeded(9)))
        #expect(first.filter { $0.name == .login }.count == 200)
        #expect(first.allSatisfy { (101...103).contains($0.place.area) && ["Modes1", "Modes2", "Modes3"].contains($0.place.mode) })
    }

    /// The byte checks give what the Unicode properties give, for every ASCII character and for
    /// names that are not ASCII.
    @Test func byteChecksAgreeWithUnicodeProperties() {
        let samples =
            (0..<128).map { String(UnicodeScalar(UInt8($0))) } + [
                "é", "Ж", "日本", "\u{85}", "\u{200B}", "٣", "😀", "a\u{9F}b", "Modes1", "Team Deathmatch",
            ]
        for sample in samples {
            let isMode = sample.unicodeScalars.allSatisfy { scalar in
                scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == " " || scalar == "_" || scalar == "-"
            }
            #expect(EventValidation.isModeName(sample) == isMode, "\(sample.unicodeScalars.map(\.value))")
            let hasControl = sample.unicodeScalars.contains { $0.properties.generalCategory == .control }
            #expect(EventValidation.hasControlCharacter(sample) == hasControl, "\(sample.unicodeScalars.map(\.value))")
        }
    }
}

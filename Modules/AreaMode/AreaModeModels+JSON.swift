import SwitchyardJSON

// area-mode's answers as JSON, in one place for both profiles. Stats are encoded once per
// version and area and served from the cache as those bytes (`AreaModeService.cachedStatsBody`).

extension IngestReport {
    var outcomeFields: [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: Outcome.allCases.map { ($0.rawValue, JSONValue.int(Int64(counts[$0] ?? 0))) })
    }

    var json: JSONValue {
        var fields = outcomeFields
        fields["status"] = true
        fields["received"] = .int(Int64(received))
        return .object(fields)
    }
}

extension AreaStats {
    var json: JSONValue {
        [
            "area_code": .int(Int64(area)),
            "most_played": mostPlayed.map(JSONValue.string) ?? .null,
            "active_users": .int(Int64(activeUsers)),
            "modes": .array(modes.map { ["multiplayer_mode": .string($0.mode), "count": .int(Int64($0.count))] }),
        ]
    }

    /// The original's `{"101": [{"count": 5, "multiplayer_mode": "Modes3"}, ...]}`, or `{}`
    /// with nobody active.
    var originalJSON: JSONValue {
        guard !modes.isEmpty else { return [:] }
        return [String(area): .array(modes.map { ["count": .int(Int64($0.count)), "multiplayer_mode": .string($0.mode)] })]
    }
}

extension AreaSummary {
    var json: JSONValue {
        ["area_code": .int(Int64(area)), "most_played": .string(mostPlayed), "active_users": .int(Int64(activeUsers))]
    }
}

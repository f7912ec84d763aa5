import SwitchyardCore
import SwitchyardJSON

// user-points' answers as JSON, in one place for both profiles.

extension PointsAnswer {
    var json: JSONValue { ["users": usersJSON, "timestamp": timestampJSON] }
    /// friendly's field names.
    var originalJSON: JSONValue { ["previous_query_timestamp": timestampJSON, "qualifying_users": usersJSON] }

    private var usersJSON: JSONValue { .array(users.map { ["id": .int(Int64($0.id)), "points": .int(Int64($0.points))] }) }
    private var timestampJSON: JSONValue { previousQueryMicroseconds.map { .string(iso8601(microseconds: $0)) } ?? .null }
}

extension RefreshStatus {
    var json: JSONValue {
        [
            "min_number": .int(Int64(state.minNumber)),
            "generation": .int(Int64(state.generation)),
            "users": .int(Int64(state.users)),
            "refreshed_at": state.refreshedAt.map { .string(iso8601($0)) } ?? .null,
            "last_refresh_ms": state.lastRefreshMilliseconds.map { .int(Int64($0)) } ?? .null,
            "next_refresh_at": .string(iso8601(nextRefreshAt)),
        ]
    }
}

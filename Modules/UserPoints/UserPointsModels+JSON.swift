import SwitchyardCore
import SwitchyardJSON

// user-points' answers as JSON, in one place for both profiles.

extension PointsAnswer {
    /// `{"timestamp":...,"users":[...]}`, the users' array as encoded for their generation.
    var json: [UInt8] { encoded(timestampField: "timestamp", usersField: "users") }
    /// friendly's field names.
    var originalJSON: [UInt8] { encoded(timestampField: "previous_query_timestamp", usersField: "qualifying_users") }

    /// The fields in the order `JSONValue` writes an object's (sorted): in both profiles the
    /// timestamp's name sorts first.
    private func encoded(timestampField: String, usersField: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(usersJSON.count + 64)
        out.append(UInt8(ascii: "{"))
        writeQuoted(timestampField, to: &out)
        out.append(UInt8(ascii: ":"))
        (previousQueryMicroseconds.map { .string(iso8601(microseconds: $0)) } ?? JSONValue.null).write(to: &out)
        out.append(UInt8(ascii: ","))
        writeQuoted(usersField, to: &out)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: usersJSON)
        out.append(UInt8(ascii: "}"))
        return out
    }
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

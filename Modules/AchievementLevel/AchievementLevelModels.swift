import FeatureKit
import SwitchyardJSON

/// A computed level. `json` is the default profile's wire form; `fullJSON`, with the user
/// exactly as upstream sent it, is the original profile's and what the cache keeps.
struct UserLevel: Sendable, Equatable {
    var user: UpstreamUser
    var level: Level

    var json: JSONValue { ["user": user.json, "overallAchievementLevel": .string(level.rawValue)] }
    var fullJSON: JSONValue { ["user": user.upstream, "overallAchievementLevel": .string(level.rawValue)] }

    init(user: UpstreamUser, level: Level) {
        (self.user, self.level) = (user, level)
    }

    init?(_ value: JSONValue) {
        guard let user = value["user"].flatMap(UpstreamUser.init),
            let level = value["overallAchievementLevel"]?.stringValue.flatMap(Level.init(rawValue:))
        else { return nil }
        self.init(user: user, level: level)
    }
}

/// A user as the upstream users API lists them.
struct UpstreamUser: Sendable, Equatable {
    var id: Int64
    var name: String
    var email: String
    /// The object exactly as upstream sent it, every field included.
    var upstream: JSONValue

    var json: JSONValue { ["id": .int(id), "name": .string(name), "email": .string(email)] }

    init(id: Int64, name: String, email: String, upstream: JSONValue? = nil) {
        (self.id, self.name, self.email) = (id, name, email)
        self.upstream = upstream ?? ["id": .int(id), "name": .string(name), "email": .string(email)]
    }

    init?(_ value: JSONValue) {
        guard let id = value["id"]?.intValue, let name = value["name"]?.stringValue,
            let email = value["email"]?.stringValue
        else { return nil }
        self.init(id: id, name: name, email: email, upstream: value)
    }
}

/// Why an upstream call gave no usable answer.
enum UpstreamFailure: Error, Equatable {
    /// 404: the user (or their game) is not there (any more).
    case notFound
    /// Anything else that survived the retries.
    case failed(request: String, status: Int?, reason: String)

    /// One entry of the 502's `details`.
    func detail(userID: Int64?) -> JSONValue {
        var fields: [String: JSONValue] = ["status": 404, "reason": "not found"]
        if case .failed(let request, let status, let reason) = self {
            fields = ["request": .string(request), "status": status.map { .int(Int64($0)) } ?? .null, "reason": .string(reason)]
        }
        if let userID { fields["user_id"] = .int(userID) }
        return .object(fields)
    }
}

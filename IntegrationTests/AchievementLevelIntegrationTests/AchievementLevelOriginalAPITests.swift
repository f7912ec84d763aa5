import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import SwitchyardJSON
import Testing

/// The games-platform test's clients against `features.achievement-level.api=original` at `/`:
/// the users list and filter, one user passed through whole, and its error bodies.
@Suite struct AchievementLevelOriginalAPITests {
    @Test func gamesPlatformClients() async throws {
        try await OriginalAPI.withFeature("achievement-level") { client in
            let (status, users) = try await OriginalAPI.json(client, .get, "/users")
            #expect(status == .ok)
            #expect(users.arrayValue?.compactMap { $0["user"]?["id"]?.intValue } == Array(1...11))
            #expect(users.arrayValue?.first?["user"]?["username"] == "player1")
            let (_, gold) = try await OriginalAPI.json(client, .get, "/users?level=gold")
            #expect(gold.arrayValue?.allSatisfy { $0["overallAchievementLevel"] == "Gold" } == true)
            #expect(try await OriginalAPI.json(client, .get, "/users?level=diamond") == (.ok, []))
            let (one, user) = try await OriginalAPI.json(client, .get, "/users/8")
            #expect(one == .ok)
            #expect(user["overallAchievementLevel"] == "Platinum")
            let (missing, missingBody) = try await OriginalAPI.json(client, .get, "/users/999")
            #expect(missing == .notFound)
            #expect(missingBody.objectValue.map { Set($0.keys) } == ["message", "status_code"])
            #expect(missingBody["status_code"] == 404)
            let (noRoute, noRouteBody) = try await OriginalAPI.json(client, .get, "/nothing/here")
            #expect(noRoute == .notFound && noRouteBody["status_code"] == 404)
            try await OriginalAPI.checkOperationalRoutes(client, documents: ["/users", "/users/{id}"])
            let metrics = try await OriginalAPI.send(client, .get, "/metrics").text
            #expect(metrics.contains("get_user_level_request_count"))
        }
    }
}

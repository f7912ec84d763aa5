import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import SwitchyardJSON
import Testing

/// friendly's clients against `features.user-points.api=original` at `/`: `GET /` again and
/// again, each answer naming the time of the one before, and Phoenix's 404 body.
@Suite struct UserPointsOriginalAPITests {
    @Test func friendlyClients() async throws {
        try await OriginalAPI.withFeature("user-points") { client in
            let (status, first) = try await OriginalAPI.json(client, .get, "/", headers: OriginalAPI.browser)
            #expect(status == .ok)
            #expect(first.objectValue.map { Set($0.keys) } == ["previous_query_timestamp", "qualifying_users"])
            #expect((first["qualifying_users"]?.arrayValue?.count ?? 3) <= 2)
            let (_, second) = try await OriginalAPI.json(client, .get, "/")
            let stamp = second["previous_query_timestamp"]?.stringValue ?? ""
            #expect(stamp.count == "2026-11-27T05:33:00.000711Z".count && stamp.hasSuffix("Z"), "\(stamp)")
            // The first min_number was drawn from 0...100, as the original drew it.
            let (_, state) = try await OriginalAPI.json(client, .get, "/state")
            #expect((0...100).contains(state["min_number"]?.intValue ?? -1))
            #expect(try await OriginalAPI.json(client, .get, "/nope") == (.notFound, ["errors": ["detail": "Not Found"]]))
            try await OriginalAPI.checkOperationalRoutes(client, documents: ["/"])
        }
    }
}

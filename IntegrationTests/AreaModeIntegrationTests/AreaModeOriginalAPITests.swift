import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import SwitchyardJSON
import Testing

/// LILA's clients against `features.area-mode.api=original` at `/`: events as `curl -d` and with
/// no Content-Type, the stats shape, FastAPI's 422 and 404 bodies, generate_data's answer.
@Suite struct AreaModeOriginalAPITests {
    @Test func lilaClients() async throws {
        try await OriginalAPI.withFeature("area-mode") { client in
            let events =
                #"{"items": [{"area_code": 101, "multiplayer_mode": "Modes3", "user_id": "User1", "events_name": "LOGIN"},"#
                + #"{"area_code": 101, "multiplayer_mode": "Modes3", "user_id": 2, "events_name": "LOGIN"},"#
                + #"{"area_code": 101, "multiplayer_mode": "Modes1", "user_id": "User3", "events_name": "LOGIN"}]}"#
            #expect(try await OriginalAPI.json(client, .post, "/events/", events, headers: OriginalAPI.curlForm) == (.ok, ["status": true]))
            let noType = #"{"items": [{"area_code": 102, "multiplayer_mode": "Modes2", "user_id": "User4", "events_name": "LOGIN"}]}"#
            #expect(try await OriginalAPI.json(client, .post, "/events", noType, headers: [:]) == (.ok, ["status": true]))

            let (status, stats) = try await OriginalAPI.json(client, .get, "/stats/?area_code=101")
            #expect(status == .ok)
            #expect(stats == ["101": [["count": 2, "multiplayer_mode": "Modes3"], ["count": 1, "multiplayer_mode": "Modes1"]]])
            #expect(try await OriginalAPI.json(client, .get, "/stats?area_code=101").body == stats)
            #expect(try await OriginalAPI.json(client, .get, "/stats/?area_code=555") == (.ok, [:]))

            let (missing, problem) = try await OriginalAPI.json(client, .get, "/stats/")
            #expect(missing == .unprocessableContent)
            let entry = problem["detail"]?.arrayValue?.first
            #expect(entry?["loc"] == ["query", "area_code"])
            #expect(entry?.objectValue.map { Set($0.keys) } == ["loc", "msg", "type"])
            let (invalid, invalidBody) = try await OriginalAPI.json(
                client, .post, "/events/", #"{"items": [{"area_code": 101, "user_id": "u", "events_name": "LOGIN"}]}"#)
            #expect(invalid == .unprocessableContent)
            #expect(invalidBody["detail"]?.arrayValue?.first?["loc"] == ["body", "items", 0, "multiplayer_mode"])
            #expect(try await OriginalAPI.json(client, .get, "/no/such/route") == (.notFound, ["detail": "Not Found"]))

            let (generated, report) = try await OriginalAPI.json(client, .post, "/generate_data/")
            #expect(generated == .ok)
            #expect(report.objectValue.map { Set($0.keys) } == ["cnt_records_generated"])
            #expect((500...1000).contains(report["cnt_records_generated"]?.intValue ?? 0))
            try await OriginalAPI.checkOperationalRoutes(client, documents: ["/events/", "/stats/", "/generate_data/"])
        }
    }
}

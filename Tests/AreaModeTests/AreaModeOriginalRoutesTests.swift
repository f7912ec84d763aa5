import FeatureKit
import FeatureTesting
import Hummingbird
import HummingbirdTesting
import Metrics
import SwitchyardJSON
import Testing

@testable import AreaMode

/// The original profile's routes (LILA's API) over the in-memory store and cache.
@Suite struct AreaModeOriginalRoutesTests {
    let store = MemoryAreaModeStore()
    let cache = MemoryAreaStatsCache()

    func app() -> some ApplicationProtocol {
        let service = AreaModeService(
            store: store, cache: cache, metrics: NOOPMetricsHandler.instance, statsJSON: \.originalJSON)
        let routes = AreaModeOriginalRoutes(service: service, random: .seeded(3), maxBodySize: 1 << 20, adminToken: nil)
        return routeTestApplication(prefix: "/") { routes.addRoutes(to: $0) }
    }

    /// As `curl -d` sends it (form-encoded by name), numeric ids as pydantic v1 took them.
    @Test func eventsAnswerStatusTrueAndStatsAreKeyedByArea() async throws {
        try await app().test(.router) { client in
            let body =
                #"{"items": [{"area_code": 101, "multiplayer_mode": "Modes3", "user_id": 7, "events_name": "LOGIN"},"#
                + #"{"area_code": "101", "multiplayer_mode": 5, "user_id": "u2", "events_name": "login"}]}"#
            let (status, answer) = try await client.json(
                .post, "/events/", body, headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(status == .ok)
            #expect(answer == ["status": true])
            let (_, stats) = try await client.json(.get, "/stats/?area_code=101")
            #expect(stats == ["101": [["count": 1, "multiplayer_mode": "5"], ["count": 1, "multiplayer_mode": "Modes3"]]])
            let (_, empty) = try await client.json(.get, "/stats?area_code=102")
            #expect(empty == [:])
        }
    }

    @Test func invalidInputIsFastAPIs422() async throws {
        try await app().test(.router) { client in
            let (missing, missingBody) = try await client.json(.get, "/stats/")
            #expect(missing == .unprocessableContent)
            #expect(missingBody["detail"]?.arrayValue?.first?["loc"] == ["query", "area_code"])
            let (notNumber, notNumberBody) = try await client.json(.get, "/stats/?area_code=abc")
            #expect(notNumber == .unprocessableContent)
            #expect(notNumberBody["detail"]?.arrayValue?.first?["loc"] == ["query", "area_code"])
            let body = #"{"items": [{"area_code": 5, "multiplayer_mode": "Duo", "user_id": "u", "events_name": "LOGIN"}]}"#
            let (invalid, invalidBody) = try await client.json(.post, "/events/", body)
            #expect(invalid == .unprocessableContent)
            let problem = invalidBody["detail"]?.arrayValue?.first
            #expect(problem?["loc"] == ["body", "items", 0, "area_code"])
            #expect(problem?["type"] == "value_error")
            #expect(problem?["msg"]?.stringValue?.isEmpty == false)
            let (_, stats) = try await client.json(.get, "/stats/?area_code=101")
            #expect(stats == [:])
        }
    }

    @Test func generateDataCountsWhatItMade() async throws {
        try await app().test(.router) { client in
            let (status, answer) = try await client.json(.post, "/generate_data/")
            #expect(status == .ok)
            #expect(answer.objectValue.map { Set($0.keys) } == ["cnt_records_generated"])
            let count = answer["cnt_records_generated"]?.intValue ?? 0
            #expect((500...1000).contains(count))
            let (_, chosen) = try await client.json(.post, "/generate_data/?count=20&seed=1")
            #expect(chosen == ["cnt_records_generated": 20])
        }
    }
}

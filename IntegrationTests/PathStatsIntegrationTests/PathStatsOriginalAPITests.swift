import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import SwitchyardJSON
import Testing

/// The Close challenge reference's clients against `features.path-stats.api=original` at `/`:
/// its README's curl steps and its self-test, on a live server (the test calls itself).
@Suite struct PathStatsOriginalAPITests {
    @Test func readmeStepsAndSelfTest() async throws {
        try await OriginalAPI.withFeature("path-stats", mode: .live) { client in
            for uri in ["/api/hello/world/", "/api/hello/world/", "/api/hello/world", "/api/caf%C3%A9/?q=1"] {
                let answer = try await OriginalAPI.send(client, .get, uri)
                #expect(answer.status == .ok)
                let counted = uri.split(separator: "?")[0].removingPercentEncoding!
                #expect(answer.text == "Request \(counted) finished")
            }
            let (status, stats) = try await OriginalAPI.json(client, .get, "/stats/", headers: OriginalAPI.browser)
            #expect(status == .ok)
            #expect(
                stats == [
                    "URL request counts": [
                        ["url": "/api/hello/world/", "request_count": 2], ["url": "/api/caf\u{e9}/", "request_count": 1],
                        ["url": "/api/hello/world", "request_count": 1],
                    ]
                ])
            #expect(try await OriginalAPI.json(client, .get, "/stats").body == stats)

            let run = try await OriginalAPI.send(client, .post, "/test/50/")
            #expect(run.status == .ok)
            #expect(run.text == "Finished test run with 50 requests")
            let (_, after) = try await OriginalAPI.json(client, .get, "/stats/")
            let rows = after["URL request counts"]?.arrayValue ?? []
            let generated = rows.filter { !($0["url"]?.stringValue?.hasPrefix("/api/hello") ?? true) && $0["url"] != "/api/caf\u{e9}/" }
            #expect(generated.reduce(0) { $0 + ($1["request_count"]?.intValue ?? 0) } == 50)
            // 1 to 6 segments from a pool of 3 lowercase three-letter strings, trailing slash kept.
            let segments = Set(generated.flatMap { ($0["url"]?.stringValue ?? "").split(separator: "/").dropFirst() })
            #expect(segments.count <= 3 && segments.allSatisfy { $0.count == 3 && $0.allSatisfy(\.isLowercase) })
            #expect(generated.allSatisfy { $0["url"]?.stringValue?.hasSuffix("/") == true })
            let counts = rows.compactMap { $0["request_count"]?.intValue }
            #expect(counts == counts.sorted(by: >))
            try await OriginalAPI.checkOperationalRoutes(client, documents: ["/api/{path}", "/stats/", "/test/{n}/"])
        }
    }
}

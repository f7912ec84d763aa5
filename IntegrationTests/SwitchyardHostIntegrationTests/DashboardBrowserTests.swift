import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import KnownFeatures
import SwitchyardHost
import SwitchyardJSON
import Testing
import UsersAPIStub

/// `/dashboard` rendered by headless Chromium against a live server with data in every
/// feature: the DOM shows each feature's numbers as its JSON API tells them. The screenshot
/// it takes (in TEST_OUTPUT_DIR) is the one scripts/test copies to the README's docs/dashboard.png.
@Suite struct DashboardBrowserTests {

    /// Runs headless Chromium (Debian's `chromium`, installed by scripts/test) and returns stdout,
    /// on a thread of its own: the wait blocks for seconds.
    static func chromium(_ arguments: [String]) async throws -> String {
        try await ChildProcess.offThePool {
            try ChildProcess.output("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"] + arguments)
        }
    }

    static func get(_ client: any TestClientProtocol, _ uri: String) async throws -> JSONValue {
        try await client.execute(uri: uri, method: .get) { try JSONValue(parsing: Array($0.body.readableBytesView)) }
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, _ body: String) async throws {
        try await client.execute(
            uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)
        ) { #expect((200..<300).contains($0.status.code), "\(uri)") }
    }

    @Test func everyFeatureShowsItsNumbersInChromium() async throws {
        try await TestEnvironment.withEveryFeature(mode: .live) { client in
            try await check(client, base: "http://127.0.0.1:\(client.port!)")
        }
    }

    func check(_ client: any TestClientProtocol, base: String) async throws {
        // Data in every feature.
        for path in ["dash/a", "dash/a", "dash/a", "dash/b"] { _ = try await client.execute(uri: "/path-stats/api/\(path)/", method: .get) { _ in } }
        for (user, mode) in [("u1", "Duo"), ("u2", "Duo"), ("u3", "Squad")] {
            try await Self.post(
                client, "/area-mode/events",
                #"{"items":[{"area_code":101,"multiplayer_mode":"\#(mode)","user_id":"\#(user)","events_name":"LOGIN"}]}"#)
        }
        try await Self.post(client, "/user-points/refresh", "{}")
        let levels = try await Self.get(client, "/achievement-level/users")
        try await Self.post(
            client, "/products-orders/products", #"{"id":"dash-low","title":"Low","passenger_capacity":1,"maximum_speed":1,"in_stock":3}"#)
        try await Self.post(
            client, "/products-orders/products", #"{"id":"dash-high","title":"High","passenger_capacity":1,"maximum_speed":1,"in_stock":100}"#)
        try await Self.post(client, "/products-orders/orders", #"{"order_details":[{"product_id":"dash-high","price":"10","quantity":1}]}"#)

        let state = try await Self.get(client, "/user-points/state")
        let areas = try await Self.get(client, "/area-mode/areas")
        let dom = try await Self.chromium(["--dump-dom", base + "/dashboard"])
        let screenshot = URL(fileURLWithPath: try TestEnvironment.require("TEST_OUTPUT_DIR")).appendingPathComponent("dashboard.png")
        try? FileManager.default.removeItem(at: screenshot)
        _ = try await Self.chromium(["--screenshot=\(screenshot.path)", "--window-size=1000,1700", base + "/dashboard"])
        #expect(FileManager.default.fileExists(atPath: screenshot.path))

        func metric(_ name: String) -> String? {
            dom.firstMatch(of: try! Regex("data-metric=\"\(name)\">([^<]*)<"))?.output[1].substring.map(String.init)
        }
        for id in ["path-stats", "area-mode", "user-points", "achievement-level", "products-orders", "process"] {
            #expect(dom.contains("data-feature=\"\(id)\""), "section \(id) missing")
        }
        #expect(metric("path-stats.distinct") == "2")
        #expect(dom.contains(#"data-label="dash/a" data-value="3""#))
        #expect(dom.contains(#"data-label="dash/b" data-value="1""#))
        let area = areas.arrayValue?.first
        #expect(metric("area-mode.active") == "3")
        #expect(dom.contains("<td>101</td><td>\(area?["most_played"]?.stringValue ?? "?")</td><td>3</td>"))
        #expect(metric("user-points.generation") == state["generation"]?.intValue.map(String.init))
        #expect(metric("user-points.min_number") == state["min_number"]?.intValue.map(String.init))
        var perLevel: [String: Int] = [:]
        for entry in levels.arrayValue ?? [] { perLevel[entry["overallAchievementLevel"]?.stringValue ?? "?", default: 0] += 1 }
        #expect(metric("achievement-level.cached") == "11")
        for level in ["None", "Bronze", "Silver", "Gold", "Platinum"] {
            #expect(dom.contains(#"data-label="\#(level)" data-value="\#(perLevel[level] ?? 0)""#), "\(level)")
        }
        #expect(metric("products-orders.products") == "2")
        #expect(metric("products-orders.orders-last-hour") == "1")
        #expect(dom.contains("<td>dash-low</td><td>3</td>"))
        #expect(!dom.contains("<td>dash-high</td>"))
        #expect(dom.contains("/user-points"))  // the route table lists the routes just used
    }
}

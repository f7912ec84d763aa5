import FeatureKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import SwitchyardHost

@Suite struct OperationalRoutesTests {
    @Test func docsIndexAndDashboardAreHTML() async throws {
        try await makeServer(flags: ["docs.assets-url": "https://assets.example.org/swagger/"]).application.test(.router) { client in
            try await client.execute(uri: "/docs", method: .get) { response in
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.text.contains(#"<script src="https://assets.example.org/swagger/swagger-ui-bundle.js">"#))
                #expect(response.text.contains(#"href="https://assets.example.org/swagger/swagger-ui.css""#))
                #expect(response.text.contains(#"<script src="/docs.js">"#))
                #expect(!response.text.contains("<script>"))
                let policy = response.headers[.contentSecurityPolicy] ?? ""
                #expect(policy.contains("script-src 'self' https://assets.example.org;"), "\(policy)")
            }
            try await client.execute(uri: "/docs.js", method: .get) { response in
                #expect(response.text.contains(#"url: "/openapi.json""#))
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.text.contains(#"<a href="/dashboard">"#))
                #expect(response.text.contains(#"<a href="/docs">"#))
            }
            try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains(#"data-metric="process.uptime""#))
                // The test feature has no dashboard section: nothing but the process is shown.
                #expect(!response.text.contains("data-feature=\"echo\""))
                #expect(!response.text.contains("<script"))
                #expect(response.text.contains(#"<link rel="stylesheet" href="/pages.css">"#))
                #expect(response.headers[.contentSecurityPolicy] == Response.pagePolicy)
            }
        }
    }

    @Test func htmlIsEscaped() {
        #expect(HTML.escape(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTML.barChart([("<b>", 2)], metric: "m").contains(#"data-label="&lt;b&gt;""#))
        #expect(HTML.table(["h"], [], metric: "m").contains("No data yet"))
    }

    @Test func healthAndReadyAnswer() async throws {
        try await makeServer().application.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.json == ["status": "ok"])
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json?["status"] == "ready")
            }
        }
    }

    @Test func metricsArePrometheusTextWithPerRouteSeries() async throws {
        try await makeServer().application.test(.router) { client in
            try await client.execute(uri: "/echo/items/1", method: .get) { _ in }
            try await client.execute(uri: "/nothing/here", method: .get) { _ in }
            try await client.execute(
                uri: "/echo/items", method: .post, headers: jsonHeaders, body: jsonBody(#"{"name": "a", "quantity": 2}"#)
            ) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = response.text
                #expect(text.contains("# TYPE http_requests_total counter"))
                #expect(text.contains(#"http_requests_total{method="GET",route="/echo/items/{id}",status="200"} 1"#))
                #expect(text.contains(#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
                #expect(text.contains("# TYPE http_request_duration_seconds histogram"))
                #expect(text.contains(#"http_request_duration_seconds_count{method="POST",route="/echo/items"} 1"#))
                #expect(text.contains("echo_items_total 1"))
            }
        }
    }

    /// A streamed answer is timed until its last byte, not until its headers.
    @Test func latencyCoversTheWholeBody() async throws {
        try await makeServer().application.test(.live) { client in
            try await client.execute(uri: "/echo/stream", method: .get) { #expect($0.text == "[]") }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = response.text
                #expect(text.contains(#"http_request_duration_seconds_bucket{method="GET",route="/echo/stream",le="0.25"} 0"#), "\(text)")
                #expect(text.contains(#"http_request_duration_seconds_count{method="GET",route="/echo/stream"} 1"#))
            }
        }
    }

    @Test func featuresListsPrefixesAndRoutes() async throws {
        try await makeServer().application.test(.router) { client in
            try await client.execute(uri: "/features", method: .get) { response in
                guard case .array(let features)? = response.json?["features"], let echo = features.first else {
                    Issue.record("no features array")
                    return
                }
                #expect(echo["id"] == "echo")
                #expect(echo["prefix"] == "/echo")
                #expect(
                    echo["routes"] == [
                        "POST /echo/admin/reset", "POST /echo/items", "GET /echo/items/{id}", "GET /echo/slow", "GET /echo/stream",
                    ])
            }
        }
    }

    @Test func openAPIDescribesEveryRouteAsOpenAPI31() async throws {
        try await makeServer().application.test(.router) { client in
            var routes: [String] = []
            try await client.execute(uri: "/features", method: .get) { response in
                if case .array(let features)? = response.json?["features"], case .array(let list)? = features.first?["routes"] {
                    routes = list.compactMap { if case .string(let route) = $0 { route } else { nil } }
                }
            }
            routes += OperationalRoutes.paths.map { "GET \($0)" }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                let document = try #require(response.json)
                #expect(document["openapi"] == "3.1.0")
                #expect(document["components"]?["schemas"]?["Error"] != nil)
                #expect(document["components"]?["schemas"]?["EchoItem"] != nil)
                for route in routes {
                    let parts = route.split(separator: " ")
                    let operation = document["paths"]?[String(parts[1])]?[parts[0].lowercased()]
                    #expect(operation != nil, "\(route) is missing from /openapi.json")
                }
                #expect(document["paths"]?["/echo/items"]?["post"]?["tags"] == ["echo"])
            }
        }
    }
}

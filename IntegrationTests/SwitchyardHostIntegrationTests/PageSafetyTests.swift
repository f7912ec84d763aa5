import Foundation
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import Testing

/// Public pages show what the features store without letting it become markup: a stored path
/// that closes an attribute with a quote hidden behind a combining mark adds no attribute, no
/// page runs inline script, and none names a dependency's host or user.
@Suite struct PageSafetyTests {
    /// Every (element, attribute) pair in `html` as a real HTML parser (html5lib) reads it.
    static func attributes(of html: String) async throws -> Set<String> {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("page-\(UUID().uuidString).html")
        try Data(html.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import html5lib, sys
            tree = html5lib.parse(open(sys.argv[1], encoding="utf-8").read(), namespaceHTMLElements=False)
            for element in tree.iter():
                for name in element.attrib:
                    print(f"{element.tag} {name}")
            """
        let output = try await ChildProcess.offThePool {
            try ChildProcess.output("/usr/bin/python3", ["-c", script, file.path])
        }
        return Set(output.split(separator: "\n").map(String.init))
    }

    static func page(_ client: any TestClientProtocol, _ uri: String) async throws -> (String, String?) {
        try await client.execute(uri: uri, method: .get) { response in
            #expect(response.status == .ok)
            return (String(buffer: response.body), response.headers[.contentSecurityPolicy])
        }
    }

    /// In both profiles: the spec's keeps the path's bytes as received (a raw `"` and the mark's
    /// UTF-8 bytes, `/` separating what an HTML parser then reads as attributes), the original's
    /// percent-decodes it (`%22%CC%81%20onmouseover=...`).
    @Test(arguments: [
        (["FEATURES": "path-stats"], #"/path-stats/api/x"\#u{301}/onmouseover=alert(1)/"#),
        (["FEATURES": "path-stats", "FEATURES_PATH_STATS_API": "original"], "/path-stats/api/x%22%CC%81%20onmouseover=alert(1)%20data-x=%22%CC%81"),
    ])
    func storedPathsAddNoAttributeToTheDashboard(environment: [String: String], attack: String) async throws {
        try await TestEnvironment.withEveryFeature(environment) { client in
            _ = try await client.execute(uri: "/path-stats/api/plain/", method: .get) { _ in }
            let (clean, policy) = try await Self.page(client, "/dashboard")
            #expect(policy?.contains("default-src 'none'") == true)
            #expect(policy?.contains("script-src") != true)
            #expect(!clean.contains("<script"))
            _ = try await client.execute(uri: attack, method: .get) { #expect($0.status == .ok) }
            let (attacked, _) = try await Self.page(client, "/dashboard")
            #expect(attacked.contains("onmouseover=alert(1)"), "the stored path is shown, as text")
            let written = try await Self.attributes(of: clean)
            let found = try await Self.attributes(of: attacked)
            #expect(found.subtracting(written).isEmpty, "\(found.subtracting(written))")
        }
    }

    @Test func pagesCarryAPolicyAndTheOriginalEchoIsEscaped() async throws {
        try await TestEnvironment.withEveryFeature { client in
            for uri in ["/", "/dashboard", "/docs"] {
                let (html, policy) = try await Self.page(client, uri)
                #expect(policy?.contains("default-src 'none'") == true, "\(uri)")
                #expect(!html.contains("<script>"), "\(uri) has inline script")
            }
        }
        // The original profile's echo of the path is HTML: the path in it is escaped.
        try await TestEnvironment.withEveryFeature([
            "FEATURES": "path-stats", "FEATURES_PATH_STATS_API": "original", "FEATURES_PATH_STATS_PREFIX": "/",
        ]) { client in
            try await client.execute(uri: "/api/a%3Cb%3E%22c", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "Request /api/a&lt;b&gt;&quot;c finished")
                #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'")
            }
        }
    }

    /// With Redis gone, `/ready` and `/dashboard` name the dependency and its state; its host,
    /// port and libpq's or hiredis' words go to the log only.
    @Test func publicAnswersNameNoInternals() async throws {
        let port = TestPorts.take()
        let environment = ["FEATURES": "path-stats,products-orders", "REDIS_URL": "redis://127.0.0.1:\(port)/0", "REDIS_CONNECT_TIMEOUT": "0.2"]
        try await TestEnvironment.withEveryFeature(environment) { client in
            let ready = try await client.execute(uri: "/ready", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(ready.0 == .serviceUnavailable)
            #expect(ready.1.contains(#""field":"redis""#))
            let (dashboard, _) = try await Self.page(client, "/dashboard")
            #expect(dashboard.contains("Unavailable: Redis is unavailable"))
            for page in [ready.1, dashboard] {
                #expect(!page.contains("127.0.0.1") && !page.contains(String(port)), "\(page.prefix(400))")
            }
        }
    }
}

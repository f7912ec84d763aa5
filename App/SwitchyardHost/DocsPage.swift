import FeatureKit
import Foundation

/// `/docs` (Swagger UI over `/openapi.json`, assets from `docs.assets-url`) and `/`, a small
/// index of the operational endpoints.
enum DocsPage {
    static func swaggerUI(assetsURL: String) -> String {
        let assets = HTML.escape(assetsURL.hasSuffix("/") ? String(assetsURL.dropLast()) : assetsURL)
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchyard API</title>
            <link rel="stylesheet" href="\(assets)/swagger-ui.css"></head><body>
            <div id="swagger-ui"></div>
            <script src="\(assets)/swagger-ui-bundle.js"></script>
            <script src="/docs.js"></script></body></html>
            """
    }

    /// What starts Swagger UI, served as `/docs.js` so the page runs no inline script.
    static let script = """
        window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", docExpansion: "list",
            defaultModelsExpandDepth: 0, tryItOutEnabled: true });
        """

    /// The docs page's policy: scripts and styles from the assets' origin and this server only.
    static func policy(assetsURL: String) -> String {
        let origin =
            URL(string: assetsURL).flatMap { url in
                url.scheme.flatMap { scheme in url.host.map { "\(scheme)://\($0)\(url.port.map { ":\($0)" } ?? "")" } }
            } ?? "'self'"
        return "default-src 'none'; script-src 'self' \(origin); style-src 'self' \(origin); img-src 'self' data: \(origin); "
            + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    }

    static let index = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchyard</title>
        <link rel="stylesheet" href="/pages.css"></head><body>
        <h1>Switchyard</h1>
        <ul>
        <li><a href="/dashboard">/dashboard</a>: what the system is doing</li>
        <li><a href="/docs">/docs</a>: interactive API documentation</li>
        <li><a href="/openapi.json">/openapi.json</a>: the OpenAPI 3.1 document</li>
        <li><a href="/features">/features</a>: enabled features, prefixes and routes</li>
        <li><a href="/health">/health</a>, <a href="/ready">/ready</a>, <a href="/metrics">/metrics</a></li>
        </ul></body></html>
        """
}

import FeatureKit

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
            <script>
            window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", docExpansion: "list",
                defaultModelsExpandDepth: 0, tryItOutEnabled: true });
            </script></body></html>
            """
    }

    static let index = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchyard</title>
        <style>body{font:15px/1.5 system-ui,sans-serif;margin:2em}</style></head><body>
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

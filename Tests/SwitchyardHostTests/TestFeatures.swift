import FeatureKit
import Foundation
import Hummingbird
import Metrics
import NIOCore
import SwitchyardJSON
import Synchronization

/// A small feature that exercises the plug-in contract: validated JSON body, path parameter,
/// admin-only route, a slow route for shutdown tests, its own metric and OpenAPI fragment.
struct EchoFeature: Feature {
    static let id = "echo"
    static let adminRoutes = ["POST /admin/reset"]
    let adminToken: String?
    let greeting: String
    let items: Counter
    /// How long `GET /slow` takes, and the pause in `GET /stream` (`features.echo.slow-ms`).
    let slow: Duration

    init(_ dependencies: FeatureDependencies) async throws {
        adminToken = dependencies.adminToken
        greeting = dependencies.settings.string("greeting") ?? "hello"
        items = Counter(label: "echo_items_total", factory: dependencies.metrics)
        slow = .milliseconds(try dependencies.settings.int("slow-ms", default: 500, in: 1...60_000))
    }

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.post("/items") { request, context -> Response in
            let body = try await request.jsonBody(context: context)
            var validator = Validator()
            let fields = try validator.body(body)
            let name = validator.string(fields, "name", length: 1...20)
            let quantity = validator.int(fields, "quantity", in: 1...10)
            try validator.finish()
            items.increment()
            return .json(["name": .string(name ?? ""), "quantity": .int(quantity ?? 0)], status: .created)
        }
        routes.get("/items/{id}") { _, context -> Response in
            let id = try context.parameters.require("id")
            return .json(["id": .string(id), "greeting": .string(greeting)])
        }
        routes.get("/slow") { _, _ -> Response in
            try await Task.sleep(for: slow)
            return .json(["slow": true])
        }
        // Headers and "[" at once, the rest `slow` later.
        routes.get("/stream") { _, _ -> Response in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "["))
                    try await Task.sleep(for: slow)
                    try await writer.write(ByteBuffer(string: "]"))
                    try await writer.finish(nil)
                })
        }
        routes.group("/admin").add(middleware: AdminAuthMiddleware(token: adminToken))
            .post("/reset") { _, _ in Response.json(["reset": true]) }
    }

    var openAPI: OpenAPIFragment {
        let item: JSONValue = [
            "type": "object", "required": ["name", "quantity"],
            "properties": ["name": ["type": "string"], "quantity": ["type": "integer"]],
        ]
        return OpenAPIFragment(
            paths: [
                "/items": [
                    "post": [
                        "requestBody": OpenAPI.body(OpenAPI.ref("EchoItem"), example: ["name": "a", "quantity": 1]),
                        "responses": .object(
                            ["201": OpenAPI.json("Created", schema: OpenAPI.ref("EchoItem"))]
                                .merging(OpenAPI.errors([400, 413])) { first, _ in first }),
                    ]
                ],
                "/items/{id}": ["get": ["responses": ["200": OpenAPI.json("Item", schema: ["type": "object"])]]],
                "/slow": ["get": ["responses": ["200": OpenAPI.json("Slow", schema: ["type": "object"])]]],
                "/stream": ["get": ["responses": ["200": OpenAPI.json("Streamed", schema: ["type": "array"])]]],
                "/admin/reset": [
                    "post": ["responses": OpenAPI.responses(OpenAPI.json("Reset", schema: ["type": "object"]), errors: [401])]
                ],
            ],
            schemas: ["EchoItem": item])
    }
}

/// Declares a route that collides with `EchoFeature` when both are mounted at the same prefix.
struct ShadowFeature: Feature {
    static let id = "shadow"
    init(_ dependencies: FeatureDependencies) async throws {}
    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/items/{other}") { _, _ in Response.json(["shadow": true]) }
    }
    var openAPI: OpenAPIFragment { OpenAPIFragment() }
}

/// Counts its constructions; a disabled feature must never be built.
struct SpyFeature: Feature {
    static let id = "spy"
    static let constructions = Atomic<Int>(0)
    init(_ dependencies: FeatureDependencies) async throws {
        Self.constructions.add(1, ordering: .relaxed)
    }
    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.get("/seen") { _, _ in Response.json(["seen": true]) }
    }
    var openAPI: OpenAPIFragment { OpenAPIFragment() }
}

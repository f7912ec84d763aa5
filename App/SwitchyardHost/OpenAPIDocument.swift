import FeatureKit
import SwitchyardJSON

/// Assembles `/openapi.json` (OpenAPI 3.1) from the operational routes and the enabled
/// features' fragments, with each feature's paths under its prefix and tagged with its id.
enum OpenAPIDocument {
    static func build(features: [MountedFeature]) -> JSONValue {
        var paths = operationalPaths
        paths["/"] = operation("Index of the operational endpoints", html("Links"))
        var schemas: [String: JSONValue] = ["Error": errorSchema]
        for mounted in features {
            let fragment = mounted.feature.openAPI
            for (path, item) in fragment.paths {
                paths[join(mounted.prefix, path)] = tagged(item, with: mounted.id)
            }
            schemas.merge(fragment.schemas) { _, new in new }
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Switchyard",
                "version": "1.0.0",
                "description": "Five backend features in one server. Every error uses the Error schema.",
            ],
            "tags": .array(features.map { ["name": .string($0.id)] } + [["name": "operations"]]),
            "paths": .object(paths),
            "components": ["schemas": .object(schemas)],
        ]
    }

    static func join(_ prefix: String, _ path: String) -> String {
        if prefix == "/" { return path }
        return path == "/" ? prefix : prefix + path
    }

    private static func tagged(_ pathItem: JSONValue, with tag: String) -> JSONValue {
        guard case .object(var operations) = pathItem else { return pathItem }
        for (method, operation) in operations {
            if case .object(var fields) = operation {
                fields["tags"] = [.string(tag)]
                operations[method] = .object(fields)
            }
        }
        return .object(operations)
    }

    static let errorSchema: JSONValue = [
        "type": "object",
        "required": ["error", "message"],
        "properties": [
            "error": ["type": "string", "description": "Machine-readable code, e.g. VALIDATION_ERROR"],
            "message": ["type": "string"],
            "details": [
                "type": "array",
                "description": """
                What exactly failed. VALIDATION_ERROR and DEPENDENCY_UNAVAILABLE: {field, message}; \
                PRODUCT_NOT_FOUND: {product_id}; INSUFFICIENT_STOCK: {product_id, requested, available}; \
                UPSTREAM_ERROR: {user_id?, request, status, reason}.
                """,
                "items": [
                    "type": "object",
                    "properties": ["field": ["type": "string"], "message": ["type": "string"]],
                ],
            ],
        ],
    ]

    private static func html(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["text/html": ["schema": ["type": "string"]]]]
    }

    private static func operation(
        _ summary: String, _ response: JSONValue, extra: [String: JSONValue] = [:]
    )
        -> JSONValue
    {
        var responses = extra
        responses["200"] = response
        return ["get": ["summary": .string(summary), "tags": ["operations"], "responses": .object(responses)]]
    }

    private static let operationalPaths: [String: JSONValue] = [
        "/health": operation(
            "Process is alive",
            OpenAPI.json("Alive", schema: ["type": "object", "properties": ["status": ["type": "string"]]])),
        "/ready": operation(
            "Redis and PostgreSQL reachable for the enabled features",
            OpenAPI.json(
                "Ready",
                schema: [
                    "type": "object",
                    "properties": [
                        "status": ["type": "string"],
                        "checks": ["type": "object", "additionalProperties": ["type": "string"]],
                    ],
                ]),
            extra: OpenAPI.errors([503])),
        "/docs": operation("Swagger UI over this document", html("Interactive API documentation")),
        "/docs.js": operation(
            "The script that starts Swagger UI on /docs",
            ["description": "JavaScript", "content": ["text/javascript": ["schema": ["type": "string"]]]]),
        "/dashboard": operation(
            "What the system is doing: every enabled feature, uptime, request rate and p99 per route",
            html("HTML page that reloads every 5 s; no script")),
        "/pages.css": operation(
            "The stylesheet of the HTML pages",
            ["description": "CSS", "content": ["text/css": ["schema": ["type": "string"]]]]),
        "/metrics": operation(
            "Prometheus metrics",
            ["description": "Prometheus text format", "content": ["text/plain": ["schema": ["type": "string"]]]]),
        "/features": operation(
            "Enabled features, their prefixes and routes",
            OpenAPI.json(
                "Features",
                schema: [
                    "type": "object",
                    "properties": [
                        "features": [
                            "type": "array",
                            "items": [
                                "type": "object",
                                "properties": [
                                    "id": ["type": "string"], "prefix": ["type": "string"],
                                    "routes": ["type": "array", "items": ["type": "string"]],
                                ],
                            ],
                        ]
                    ],
                ])),
        "/openapi.json": operation(
            "This document", OpenAPI.json("OpenAPI 3.1 document", schema: ["type": "object"])),
    ]
}

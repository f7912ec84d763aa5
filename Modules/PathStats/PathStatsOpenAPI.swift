import FeatureKit
import SwitchyardJSON

/// path-stats' part of `/openapi.json`.
enum PathStatsOpenAPI {
    static let pathCount: JSONValue = [
        "type": "object", "required": ["path", "count"],
        "properties": ["path": ["type": "string"], "count": ["type": "integer", "minimum": 0]],
    ]

    static func pathParameter(_ description: String) -> JSONValue {
        [
            "name": "path", "in": "path", "required": true, "description": .string(description),
            "schema": ["type": "string", "minLength": 1],
        ]
    }

    static let fragment = OpenAPIFragment(
        paths: [
            "/api/{path}": [
                "get": [
                    "summary": "Count a hit on a path",
                    "description":
                        "Any number of segments after /api/. The key is the raw path with leading, trailing and repeated slashes removed; the query string is ignored.",
                    "parameters": [pathParameter("One or more path segments, escapes kept raw")],
                    "responses": OpenAPI.responses(
                        OpenAPI.json("The path's total after this hit", schema: OpenAPI.ref("PathCount")), errors: [400, 404, 405, 503]),
                ]
            ],
            "/stats/": [
                "get": [
                    "summary": "The ranking: most hits first, ties by path in byte order (streamed)",
                    "parameters": [
                        [
                            "name": "limit", "in": "query", "required": false,
                            "schema": ["type": "integer", "minimum": 1, "maximum": 100_000],
                        ],
                        [
                            "name": "offset", "in": "query", "required": false,
                            "schema": ["type": "integer", "minimum": 0, "maximum": 2_147_483_647],
                        ],
                    ],
                    "responses": OpenAPI.responses(
                        [
                            "description": "Ranked paths",
                            "headers": ["X-Total-Count": ["description": "Distinct paths", "schema": ["type": "integer"]]],
                            "content": ["application/json": ["schema": ["type": "array", "items": OpenAPI.ref("PathCount")]]],
                        ], errors: [400, 503]),
                ]
            ],
            "/stats/{path}": [
                "get": [
                    "summary": "One path's count (0 if never hit)",
                    "parameters": [pathParameter("One or more path segments")],
                    "responses": OpenAPI.responses(OpenAPI.json("The path's count", schema: OpenAPI.ref("PathCount")), errors: [404, 503]),
                ]
            ],
            "/test/{n}/": [
                "post": [
                    "summary": "Load-test this server with n GETs to its own /api/",
                    "security": [["adminToken": []]],
                    "parameters": [
                        ["name": "n", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 0]]
                    ],
                    "responses": OpenAPI.responses(
                        OpenAPI.json("What was sent and the counts after", schema: OpenAPI.ref("PathLoadTestReport")), errors: [400, 401, 429, 503]),
                ]
            ],
        ],
        schemas: [
            "PathCount": pathCount,
            "PathLoadTestReport": [
                "type": "object",
                "required": ["requested", "succeeded", "failed", "elapsed_ms", "pool", "paths"],
                "properties": [
                    "requested": ["type": "integer"], "succeeded": ["type": "integer"],
                    "failed": ["type": "integer"], "elapsed_ms": ["type": "integer"],
                    "pool": ["type": "array", "items": ["type": "string", "pattern": "^[A-Za-z]{3}$"]],
                    "paths": ["type": "array", "items": OpenAPI.ref("PathCount")],
                ],
            ],
        ])

    static func text(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["text/html": ["schema": ["type": "string"]]]]
    }

    /// The original profile: the reference's text answers and its ranking shape.
    static let original = fragment.overriding(
        with: OpenAPIFragment(
            paths: [
                "/api/{path}": [
                    "get": [
                        "summary": "Count a hit on the whole request path (the reference's keys)",
                        "parameters": [pathParameter("One or more path segments")],
                        "responses": OpenAPI.responses(text("Request <path> finished"), errors: [400, 503]),
                    ]
                ],
                "/stats/": [
                    "get": [
                        "summary": "Every counted path, most requested first",
                        "responses": OpenAPI.responses(
                            OpenAPI.json(
                                "The ranking",
                                schema: [
                                    "type": "object", "required": ["URL request counts"],
                                    "properties": [
                                        "URL request counts": [
                                            "type": "array",
                                            "items": [
                                                "type": "object", "required": ["url", "request_count"],
                                                "properties": ["url": ["type": "string"], "request_count": ["type": "integer"]],
                                            ],
                                        ]
                                    ],
                                ]), errors: [503]),
                    ]
                ],
                "/test/{n}/": [
                    "post": [
                        "summary": "Load-test this server with n GETs to its own /api/",
                        "security": [["adminToken": []]],
                        "parameters": [
                            ["name": "n", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 0]]
                        ],
                        "responses": OpenAPI.responses(text("Finished test run with <n> requests"), errors: [400, 401, 429, 503]),
                    ]
                ],
            ]),
        removing: ["/stats/{path}"])
}

import FeatureKit
import SwitchyardJSON

/// area-mode's part of `/openapi.json`.
enum AreaModeOpenAPI {
    static let outcomeProperties: [String: JSONValue] = [
        "applied": ["type": "integer"], "moved": ["type": "integer"],
        "duplicate": ["type": "integer"], "ignored": ["type": "integer"],
    ]

    static func query(_ name: String, _ schema: JSONValue, required: Bool = false) -> JSONValue {
        ["name": .string(name), "in": "query", "required": .bool(required), "schema": schema]
    }

    static let fragment = OpenAPIFragment(
        paths: [
            "/events/": [
                "post": [
                    "summary": "Apply a batch of LOGIN/LOGOUT events atomically",
                    "requestBody": OpenAPI.body(
                        OpenAPI.ref("AreaModeBatch"),
                        example: [
                            "items": [
                                [
                                    "area_code": 101, "multiplayer_mode": "Battle Royale", "user_id": "u-42",
                                    "events_name": "LOGIN",
                                ]
                            ]
                        ]),
                    "responses": OpenAPI.responses(
                        OpenAPI.json("Outcome counts", schema: OpenAPI.ref("AreaModeIngestReport")), errors: [400, 413, 503]),
                ]
            ],
            "/stats/": [
                "get": [
                    "summary": "Most played mode in one area",
                    "parameters": [query("area_code", ["type": "integer", "minimum": 100, "maximum": 999], required: true)],
                    "responses": OpenAPI.responses(OpenAPI.json("The area's ranking", schema: OpenAPI.ref("AreaModeStats")), errors: [400, 503]),
                ]
            ],
            "/areas/": [
                "get": [
                    "summary": "Every area with anyone active",
                    "responses": OpenAPI.responses(
                        OpenAPI.json("Areas by code", schema: ["type": "array", "items": OpenAPI.ref("AreaModeSummary")]),
                        errors: [503]),
                ]
            ],
            "/generate_data/": [
                "post": [
                    "summary": "Generate random events and apply them like /events/",
                    "security": [["adminToken": []]],
                    "parameters": [
                        query("count", ["type": "integer", "minimum": 0, "maximum": 1_000_000]),
                        query("users", ["type": "integer", "minimum": 1, "maximum": 10_000_000]),
                        query("modes", ["type": "integer", "minimum": 1, "maximum": 1000]),
                        query("area_from", ["type": "integer", "minimum": 100, "maximum": 999]),
                        query("area_to", ["type": "integer", "minimum": 100, "maximum": 999]),
                        query("logout_ratio", ["type": "number", "minimum": 0, "maximum": 1]),
                        query("seed", ["type": "integer", "minimum": 0]),
                    ],
                    "responses": OpenAPI.responses(
                        OpenAPI.json("What was generated and how it applied", schema: OpenAPI.ref("AreaModeGenerateReport")),
                        errors: [400, 401, 429, 503]),
                ]
            ],
        ],
        schemas: [
            "AreaModeEvent": [
                "type": "object", "required": ["area_code", "multiplayer_mode", "user_id", "events_name"],
                "properties": [
                    "area_code": [
                        "oneOf": [
                            ["type": "integer", "minimum": 100, "maximum": 999],
                            ["type": "string", "pattern": "^[0-9]{3}$"],
                        ]
                    ],
                    "multiplayer_mode": ["type": "string", "minLength": 1, "maxLength": 64],
                    "user_id": ["type": "string", "minLength": 1, "maxLength": 128],
                    "events_name": ["type": "string", "description": "LOGIN or LOGOUT, any case"],
                ],
            ],
            "AreaModeBatch": [
                "type": "object",
                "properties": ["items": ["type": "array", "maxItems": 10_000, "items": OpenAPI.ref("AreaModeEvent")]],
            ],
            "AreaModeIngestReport": [
                "type": "object",
                "properties": .object(
                    outcomeProperties.merging(["status": ["type": "boolean"], "received": ["type": "integer"]]) { a, _ in a }),
            ],
            "AreaModeGenerateReport": [
                "type": "object",
                "properties": .object(
                    outcomeProperties.merging(["cnt_records_generated": ["type": "integer"], "events": ["type": "integer"]]) { a, _ in a }),
            ],
            "AreaModeStats": [
                "type": "object", "required": ["area_code", "most_played", "active_users", "modes"],
                "properties": [
                    "area_code": ["type": "integer"],
                    "most_played": ["type": ["string", "null"]],
                    "active_users": ["type": "integer"],
                    "modes": [
                        "type": "array",
                        "items": [
                            "type": "object",
                            "properties": ["multiplayer_mode": ["type": "string"], "count": ["type": "integer"]],
                        ],
                    ],
                ],
            ],
            "AreaModeSummary": [
                "type": "object",
                "properties": [
                    "area_code": ["type": "integer"], "most_played": ["type": "string"],
                    "active_users": ["type": "integer"],
                ],
            ],
        ])

    /// Responses with FastAPI's 422 for invalid input; other errors keep the envelope.
    static func originalResponses(_ ok: JSONValue, errors: [Int]) -> JSONValue {
        var responses = OpenAPI.responses(ok, errors: errors).objectValue ?? [:]
        responses["422"] = OpenAPI.json("Invalid query or body (FastAPI's shape)", schema: OpenAPI.ref("AreaModeValidationError"))
        return .object(responses)
    }

    /// The original profile: LILA's bodies and FastAPI's 422 errors; no `/areas/`.
    static let original = fragment.overriding(
        with: OpenAPIFragment(
            paths: [
                "/events/": [
                    "post": [
                        "summary": "Apply a batch of LOGIN/LOGOUT events atomically (LILA's answer)",
                        "requestBody": fragment.paths["/events/"]?["post"]?["requestBody"] ?? .null,
                        "responses": originalResponses(
                            OpenAPI.json("Applied", schema: ["type": "object", "required": ["status"], "properties": ["status": ["const": true]]]),
                            errors: [413, 503]),
                    ]
                ],
                "/stats/": [
                    "get": [
                        "summary": "Active users per mode in one area, keyed by the area code",
                        "parameters": [query("area_code", ["type": "integer", "minimum": 100, "maximum": 999], required: true)],
                        "responses": originalResponses(
                            OpenAPI.json(
                                "Modes by count, or {} with nobody active",
                                schema: [
                                    "type": "object",
                                    "additionalProperties": [
                                        "type": "array",
                                        "items": [
                                            "type": "object", "required": ["count", "multiplayer_mode"],
                                            "properties": ["count": ["type": "integer"], "multiplayer_mode": ["type": "string"]],
                                        ],
                                    ],
                                ]),
                            errors: [503]),
                    ]
                ],
                "/generate_data/": [
                    "post": [
                        "summary": "Generate random events (500..1000 over User1..User10 unless told) and apply them",
                        "security": [["adminToken": []]],
                        "parameters": fragment.paths["/generate_data/"]?["post"]?["parameters"] ?? [],
                        "responses": originalResponses(
                            OpenAPI.json(
                                "How many records were generated",
                                schema: [
                                    "type": "object", "required": ["cnt_records_generated"],
                                    "properties": ["cnt_records_generated": ["type": "integer"]],
                                ]),
                            errors: [401, 429, 503]),
                    ]
                ],
            ],
            schemas: [
                "AreaModeValidationError": [
                    "type": "object", "required": ["detail"],
                    "properties": [
                        "detail": [
                            "type": "array",
                            "items": [
                                "type": "object", "required": ["loc", "msg", "type"],
                                "properties": [
                                    "loc": ["type": "array", "items": ["type": ["string", "integer"]]], "msg": ["type": "string"],
                                    "type": ["type": "string"],
                                ],
                            ],
                        ]
                    ],
                ]
            ]),
        removing: ["/areas/"])
}

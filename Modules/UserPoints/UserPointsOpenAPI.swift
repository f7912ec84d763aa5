import FeatureKit
import SwitchyardJSON

/// user-points' part of `/openapi.json`.
enum UserPointsOpenAPI {
    static let state: JSONValue = [
        "type": "object",
        "properties": [
            "min_number": ["type": "integer", "minimum": 0, "maximum": 100],
            "generation": ["type": "integer"], "users": ["type": "integer"],
            "refreshed_at": ["type": ["string", "null"]], "last_refresh_ms": ["type": ["integer", "null"]],
            "next_refresh_at": ["type": "string"],
        ],
    ]

    static let fragment = OpenAPIFragment(
        paths: [
            "/": [
                "get": [
                    "summary": "Up to 2 users with points above min_number, and the previous query's time",
                    "responses": OpenAPI.responses(
                        OpenAPI.json("Users and the previous query's timestamp", schema: OpenAPI.ref("UserPointsQuery")), errors: [503]),
                ]
            ],
            "/state": [
                "get": [
                    "summary": "Refresh state for operators",
                    "responses": OpenAPI.responses(OpenAPI.json("State", schema: OpenAPI.ref("UserPointsState")), errors: [503]),
                ]
            ],
            "/refresh": [
                "post": [
                    "summary": "Re-roll every user's points and min_number now",
                    "security": [["adminToken": []]],
                    "responses": OpenAPI.responses(
                        OpenAPI.json("State after the refresh", schema: OpenAPI.ref("UserPointsState")), errors: [401, 409, 503]),
                ]
            ],
        ],
        schemas: [
            "UserPointsState": state,
            "UserPointsQuery": [
                "type": "object", "required": ["users", "timestamp"],
                "properties": [
                    "users": [
                        "type": "array", "maxItems": 2,
                        "items": [
                            "type": "object",
                            "properties": ["id": ["type": "integer"], "points": ["type": "integer"]],
                        ],
                    ],
                    "timestamp": ["type": ["string", "null"], "description": "ISO 8601 UTC with microseconds"],
                ],
            ],
        ])

    /// The original profile: `GET /` in the friendly service's shape, the operators' routes as above.
    static let original = fragment.overriding(
        with: OpenAPIFragment(
            paths: [
                "/": [
                    "get": [
                        "summary": "Up to 2 users with points above min_number, and the previous query's time (friendly's shape)",
                        "responses": OpenAPI.responses(
                            OpenAPI.json("Qualifying users and the previous query's timestamp", schema: OpenAPI.ref("UserPointsOriginalQuery")),
                            errors: [503]),
                    ]
                ]
            ],
            schemas: [
                "UserPointsOriginalQuery": [
                    "type": "object", "required": ["previous_query_timestamp", "qualifying_users"],
                    "properties": [
                        "qualifying_users": [
                            "type": "array", "maxItems": 2,
                            "items": [
                                "type": "object", "required": ["id", "points"],
                                "properties": ["id": ["type": "integer"], "points": ["type": "integer"]],
                            ],
                        ],
                        "previous_query_timestamp": ["type": ["string", "null"], "description": "ISO 8601 UTC with microseconds"],
                    ],
                ]
            ]))
}

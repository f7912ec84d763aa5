import FeatureKit
import SwitchyardJSON

/// achievement-level's part of `/openapi.json`.
enum AchievementLevelOpenAPI {
    static let fragment = OpenAPIFragment(
        paths: [
            "/users": [
                "get": [
                    "summary": "Every upstream user's overall achievement level, in upstream order",
                    "parameters": [
                        [
                            "name": "level", "in": "query", "required": false,
                            "description": "Only users at this level (case-insensitive)",
                            "schema": ["type": "string", "enum": ["none", "bronze", "silver", "gold", "platinum"]],
                        ]
                    ],
                    "responses": OpenAPI.responses(
                        OpenAPI.json("Users with levels", schema: ["type": "array", "items": OpenAPI.ref("UserLevel")]),
                        errors: [400, 502]),
                ]
            ],
            "/users/{id}": [
                "get": [
                    "summary": "One user's overall achievement level",
                    "parameters": [
                        ["name": "id", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 0]]
                    ],
                    "responses": OpenAPI.responses(OpenAPI.json("The user's level", schema: OpenAPI.ref("UserLevel")), errors: [400, 404, 502]),
                ]
            ],
        ],
        schemas: [
            "UserLevel": [
                "type": "object", "required": ["user", "overallAchievementLevel"],
                "properties": [
                    "user": [
                        "type": "object", "required": ["id", "name", "email"],
                        "properties": ["id": ["type": "integer"], "name": ["type": "string"], "email": ["type": "string"]],
                    ],
                    "overallAchievementLevel": ["type": "string", "enum": ["None", "Bronze", "Silver", "Gold", "Platinum"]],
                ],
            ]
        ])

    /// `{"message", "status_code"}` under the upstream's status (404, 500, 502, ...).
    static func originalErrors(_ statuses: [Int]) -> [String: JSONValue] {
        OpenAPI.errors(statuses, schema: OpenAPI.ref("AchievementLevelOriginalError"))
    }

    /// The original profile: any level text (unknown ones match nobody), users as upstream
    /// sent them, the original's error shape.
    static let original = OpenAPIFragment(
        paths: [
            "/users": [
                "get": [
                    "summary": "Every upstream user's overall achievement level, in upstream order",
                    "parameters": [
                        [
                            "name": "level", "in": "query", "required": false,
                            "description": "Only users at this level (case-insensitive); anything else matches nobody",
                            "schema": ["type": "string"],
                        ]
                    ],
                    "responses": .object(
                        originalErrors([404, 500, 502]).merging([
                            "200": OpenAPI.json("Users with levels", schema: ["type": "array", "items": OpenAPI.ref("UserLevel")])
                        ]) { _, new in new }),
                ]
            ],
            "/users/{id}": [
                "get": [
                    "summary": "One user's overall achievement level",
                    "parameters": [
                        ["name": "id", "in": "path", "required": true, "schema": ["type": "integer", "minimum": 0]]
                    ],
                    "responses": .object(
                        originalErrors([404, 500, 502]).merging(["200": OpenAPI.json("The user's level", schema: OpenAPI.ref("UserLevel"))]) {
                            _, new in new
                        }),
                ]
            ],
        ],
        schemas: [
            "UserLevel": [
                "type": "object", "required": ["user", "overallAchievementLevel"],
                "properties": [
                    "user": ["type": "object", "description": "The user exactly as the users API sent it"],
                    "overallAchievementLevel": ["type": "string", "enum": ["None", "Bronze", "Silver", "Gold", "Platinum"]],
                ],
            ],
            "AchievementLevelOriginalError": [
                "type": "object", "required": ["message", "status_code"],
                "properties": ["message": ["type": "string"], "status_code": ["type": "integer"]],
            ],
        ])
}

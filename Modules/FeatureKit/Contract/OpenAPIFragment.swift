import SwitchyardJSON

/// A feature's part of `/openapi.json`: path items keyed by path relative to the feature's
/// prefix (`/products/{id}`), and component schemas. The host prefixes, tags and merges them.
public struct OpenAPIFragment: Sendable {
    public var paths: [String: JSONValue]
    public var schemas: [String: JSONValue]

    public init(paths: [String: JSONValue] = [:], schemas: [String: JSONValue] = [:]) {
        self.paths = paths
        self.schemas = schemas
    }

    /// This fragment with `other`'s paths and schemas in place of any of the same name, and
    /// `removing` paths dropped: an original profile described as changes to the default one.
    public func overriding(with other: OpenAPIFragment, removing: [String] = []) -> OpenAPIFragment {
        var paths = self.paths.merging(other.paths) { _, new in new }
        removing.forEach { paths.removeValue(forKey: $0) }
        return OpenAPIFragment(paths: paths, schemas: schemas.merging(other.schemas) { _, new in new })
    }
}

/// Small builders for the parts every operation repeats.
public enum OpenAPI {
    /// A `$ref` to a component schema.
    public static func ref(_ schema: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(schema)")]
    }

    /// A JSON response with the given schema.
    public static func json(_ description: String, schema: JSONValue) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": schema]]]
    }

    /// A JSON request body with the given schema and an example.
    public static func body(_ schema: JSONValue, example: JSONValue) -> JSONValue {
        ["required": true, "content": ["application/json": ["schema": schema, "example": example]]]
    }

    /// An operation's responses: `ok` as `status` (200 unless said) and an error for each of
    /// `errors`, in the envelope unless `errorSchema` (an original profile's) says otherwise.
    public static func responses(
        _ ok: JSONValue, status: Int = 200, errors: [Int], errorSchema: JSONValue = ref("Error")
    ) -> JSONValue {
        .object([String(status): ok].merging(Self.errors(errors, schema: errorSchema)) { first, _ in first })
    }

    /// Error responses, keyed by status.
    public static func errors(_ statuses: [Int], schema: JSONValue = ref("Error")) -> [String: JSONValue] {
        Dictionary(
            uniqueKeysWithValues: statuses.map { status in
                (String(status), json(errorDescriptions[status] ?? "Error", schema: schema))
            })
    }

    static let errorDescriptions: [Int: String] = [
        400: "Malformed request or invalid fields",
        401: "Admin token missing or wrong",
        404: "Not found",
        405: "Method not allowed",
        409: "Conflict with the current state",
        413: "Payload too large",
        429: "Already running here (BUSY); retry after the Retry-After seconds",
        502: "Upstream service failed",
        503: "Redis or PostgreSQL unavailable",
    ]
}

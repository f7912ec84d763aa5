import FeatureKit
import Hummingbird
import SwitchyardCore
import SwitchyardJSON

/// LILA's FastAPI service's API (`features.area-mode.api = original`) over the same service:
/// its bodies, its 422 `{"detail": [...]}` errors, JSON read whatever the Content-Type says.
struct AreaModeOriginalRoutes: Sendable {
    let service: AreaModeService
    let random: RandomSource
    let maxBodySize: Int
    let adminToken: String?

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.post("/events", use: ingest)
        routes.get("/stats", use: stats)
        routes.group("/generate_data").add(middleware: AdminAuthMiddleware(token: adminToken)).post(use: generate)
    }

    @Sendable func ingest(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.fastAPIErrors(location: ["body"]) {
            let events = try await request.jsonBody(context: context, limit: maxBodySize, anyMediaType: true) {
                try EventValidation.events(from: Self.numericIDsAsStrings($0))
            }
            _ = try await service.ingest(events)
            return .json(["status": true])
        }
    }

    @Sendable func stats(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.fastAPIErrors(location: ["query", "area_code"]) {
            guard let area = try request.queryInt("area_code", in: 100...999) else {
                throw APIError.validation([FieldError(field: "area_code", message: "field required")])
            }
            return .cachedJSON(try await service.cachedStatsBody(area: area))
        }
    }

    @Sendable func generate(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await Self.fastAPIErrors(location: ["query"]) {
            var parameters = try AreaModeRoutes.generationParameters(request)
            let random = parameters.seed.map(RandomSource.seeded) ?? self.random
            // The original's defaults: 500..1000 records over User1..User10.
            if request.uri.queryParameters["count"] == nil { parameters.count = random.int(in: 500...1000) }
            if request.uri.queryParameters["users"] == nil { parameters.users = 10 }
            parameters.userPrefix = "User"
            _ = try await service.generate(parameters, random: random)
            return .json(["cnt_records_generated": .int(Int64(parameters.count))])
        }
    }

    /// pydantic v1 turned a number given for a string field into its text.
    static func numericIDsAsStrings(_ body: JSONValue) -> JSONValue {
        guard case .object(var fields) = body, case .array(let items)? = fields["items"] else { return body }
        fields["items"] = .array(
            items.map { item in
                guard case .object(var event) = item else { return item }
                for key in ["user_id", "multiplayer_mode"] {
                    switch event[key] {
                    case .int(let number)?: event[key] = .string(String(number))
                    case .number(let literal)?: event[key] = .string(literal)
                    default: break
                    }
                }
                return .object(event)
            })
        return .object(fields)
    }

    /// FastAPI's 422 for what the default profile answers 400: one `{"loc", "msg", "type"}` per
    /// problem, `loc` the field's path (`["body", "items", 3, "area_code"]`) or `location`.
    static func fastAPIErrors(location: [JSONValue], _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as APIError where error.status == .badRequest {
            let problems: [JSONValue] =
                error.details.isEmpty
                ? [["loc": .array(location), "msg": .string(error.message), "type": "value_error"]]
                : error.details.map { detail in
                    let field = detail["field"]?.stringValue ?? ""
                    let path = location.first == "body" ? location + fieldPath(field) : location
                    return ["loc": .array(path), "msg": detail["message"] ?? "", "type": "value_error"]
                }
            return .json(["detail": .array(problems)], status: .unprocessableContent)
        }
    }

    /// `items[3].area_code` as `["items", 3, "area_code"]`.
    static func fieldPath(_ field: String) -> [JSONValue] {
        field.split(separator: ".").flatMap { part -> [JSONValue] in
            let pieces = part.split(separator: "[")
            return [.string(String(pieces[0]))] + pieces.dropFirst().compactMap { Int64($0.dropLast()).map(JSONValue.int) }
        }
    }

    /// FastAPI's 404, which the original's clients see for anything else.
    static let notFound = Response.json(["detail": "Not Found"], status: .notFound)
}

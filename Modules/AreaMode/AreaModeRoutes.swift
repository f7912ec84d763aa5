import FeatureKit
import Foundation
import Hummingbird
import SwitchyardCore
import SwitchyardJSON

/// HTTP in and out; the rules are the service's.
struct AreaModeRoutes: Sendable {
    let service: AreaModeService
    let random: RandomSource
    let maxBodySize: Int
    let adminToken: String?

    func addRoutes(to routes: RouterGroup<AppRequestContext>) {
        routes.post("/events", use: ingest)
        routes.get("/stats", use: stats)
        routes.get("/areas", use: areas)
        routes.group("/generate_data").add(middleware: AdminAuthMiddleware(token: adminToken)).post(use: generate)
    }

    @Sendable func ingest(_ request: Request, context: AppRequestContext) async throws -> Response {
        let events = try await request.jsonBody(context: context, limit: maxBodySize, decode: EventValidation.events(from:))
        return .json(try await service.ingest(events).json)
    }

    @Sendable func stats(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let area = try request.queryInt("area_code", in: 100...999) else {
            throw APIError.validation([FieldError(field: "area_code", message: "is required")])
        }
        return .cachedJSON(try await service.cachedStatsBody(area: area))
    }

    @Sendable func areas(_ request: Request, context: AppRequestContext) async throws -> Response {
        .json(.array(try await service.areas().map(\.json)))
    }

    @Sendable func generate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let parameters = try Self.generationParameters(request)
        let report = try await service.generate(parameters, random: parameters.seed.map(RandomSource.seeded) ?? random)
        var fields = report.outcomeFields
        fields["cnt_records_generated"] = .int(Int64(parameters.count))
        fields["events"] = .int(Int64(report.received))
        return .json(.object(fields))
    }

    static func generationParameters(_ request: Request) throws -> GenerationParameters {
        var parameters = GenerationParameters()
        parameters.count = try request.queryInt("count", in: 0...1_000_000) ?? parameters.count
        parameters.users = try request.queryInt("users", in: 1...10_000_000)
        parameters.modes = try request.queryInt("modes", in: 1...1000) ?? parameters.modes
        let from = try request.queryInt("area_from", in: 100...999) ?? parameters.areas.lowerBound
        let to = try request.queryInt("area_to", in: 100...999) ?? parameters.areas.upperBound
        guard from <= to else {
            throw APIError.validation([FieldError(field: "area_to", message: "must not be below area_from (\(from))")])
        }
        parameters.areas = from...to
        if let text = request.uri.queryParameters["logout_ratio"] {
            guard let ratio = Double(String(text)), ratio.isFinite else {
                throw APIError.badRequest("logout_ratio must be a number, got '\(text.prefix(32))'.")
            }
            guard (0...1).contains(ratio) else {
                throw APIError.validation([FieldError(field: "logout_ratio", message: "must be from 0 to 1, got \(ratio)")])
            }
            parameters.logoutRatio = ratio
        }
        if let text = request.uri.queryParameters["seed"] {
            guard let seed = UInt64(String(text)) else {
                throw APIError.badRequest("seed must be a non-negative integer, got '\(text.prefix(32))'.")
            }
            parameters.seed = seed
        }
        return parameters
    }
}

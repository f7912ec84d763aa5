import Foundation
import HTTPTypes
import Hummingbird
import SwitchyardJSON

/// One field that failed validation, as reported in the error envelope's `details`.
public struct FieldError: Sendable, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// An error a route answers with: the spec's envelope `{"error", "message", "details"}`.
public struct APIError: Error, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Objects saying what exactly went wrong: field errors, or a feature's own shape.
    public var details: [JSONValue]
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: String, message: String,
        details: [JSONValue] = [], headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(.badRequest, code: "BAD_REQUEST", message: message)
    }

    public static func validation(_ details: [FieldError]) -> APIError {
        let message = details.count == 1 ? "1 field is invalid." : "\(details.count) fields are invalid."
        return APIError(
            .badRequest, code: "VALIDATION_ERROR", message: message,
            details: details.map { ["field": .string($0.field), "message": .string($0.message)] })
    }

    public static func notFound(_ message: String = "No such resource.", code: String = "NOT_FOUND") -> APIError {
        APIError(.notFound, code: code, message: message)
    }

    public static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> APIError {
        let list = allowed.map(\.rawValue).sorted().joined(separator: ", ")
        var headers = HTTPFields()
        headers[.allow] = list
        return APIError(
            .methodNotAllowed, code: "METHOD_NOT_ALLOWED", message: "This route accepts only \(list).",
            headers: headers)
    }

    public static func payloadTooLarge(_ message: String) -> APIError {
        APIError(.contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: message)
    }

    public static func unauthorized() -> APIError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer"
        return APIError(
            .unauthorized, code: "UNAUTHORIZED", message: "This route needs the admin bearer token.",
            headers: headers)
    }

    /// 429 `BUSY` with `Retry-After`: the server declines more of this work for now.
    public static func busy(_ message: String, retryAfterSeconds: Int) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfterSeconds)
        return APIError(.tooManyRequests, code: "BUSY", message: message, headers: headers)
    }

    public static func dependencyUnavailable(_ dependency: String) -> APIError {
        APIError(
            .serviceUnavailable, code: "DEPENDENCY_UNAVAILABLE",
            message: "\(dependency) is unavailable; retry later.")
    }

    public static func upstream(_ message: String, details: [JSONValue] = []) -> APIError {
        APIError(.badGateway, code: "UPSTREAM_ERROR", message: message, details: details)
    }

    public static let internalError = APIError(
        .internalServerError, code: "INTERNAL_ERROR", message: "An internal error occurred.")

    /// The envelope as JSON.
    public var body: JSONValue {
        var fields: [String: JSONValue] = ["error": .string(code), "message": .string(message)]
        if !details.isEmpty { fields["details"] = .array(details) }
        return .object(fields)
    }

    public func response() -> Response {
        .json(body, status: status, headers: headers)
    }
}

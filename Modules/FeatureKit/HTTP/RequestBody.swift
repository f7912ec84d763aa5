import Hummingbird
import NIOCore
import SwitchyardJSON

extension Request {
    /// The body as JSON. No Content-Type is read as JSON (as FastAPI and most frameworks do); an
    /// explicit non-JSON type is 415 `UNSUPPORTED_MEDIA_TYPE` unless `anyMediaType` (the original
    /// profiles, whose clients send JSON as `curl -d` does, form-encoded by name). Malformed JSON is
    /// 400 `BAD_REQUEST`; past `limit` (a route's own cap, else the context's `maxUploadSize`), 413.
    public func jsonBody(context: AppRequestContext, limit: Int? = nil, anyMediaType: Bool = false) async throws -> JSONValue {
        try await jsonBody(context: context, limit: limit, anyMediaType: anyMediaType) { $0 }
    }

    /// The body parsed and then decoded by `decode` (validation into the route's own values).
    /// A large body holds a place in the context's `largeBodyTurns` queue before it is read,
    /// and is parsed and decoded in one of its turns, since both are CPU work in proportion to
    /// its size.
    public func jsonBody<T>(
        context: AppRequestContext, limit: Int? = nil, anyMediaType: Bool = false, decode: (JSONValue) throws -> T
    ) async throws -> T {
        let limit = limit ?? context.maxUploadSize
        if !anyMediaType, let mediaType = headers[.contentType].map(Self.mediaType), !Self.isJSON(mediaType) {
            throw APIError(
                .unsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE",
                message: "Content-Type must be application/json, not \(mediaType).")
        }
        func collected() async throws -> ByteBuffer {
            do {
                return try await body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                throw APIError.payloadTooLarge("The request body is over \(limit) bytes.")
            }
        }
        func parsed(_ buffer: ByteBuffer) throws -> T {
            let value: JSONValue
            do {
                value = try JSONParser.parse(Array(buffer.readableBytesView))
            } catch let error as JSONParser.SyntaxError {
                throw APIError.badRequest("The request body is not valid JSON: \(error.reason) at byte \(error.offset).")
            }
            return try decode(value)
        }
        // Set for a body declared large or of unknown length (`EventLoopAffinityMiddleware`).
        if let turns = context.largeBodyTurns {
            let declared = headers[.contentLength].flatMap { Int($0) }.map { min($0, limit) } ?? limit
            return try await turns.run(reserving: declared, read: collected, work: parsed)
        }
        return try parsed(try await collected())
    }

    static func mediaType(_ contentType: String) -> String {
        contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// `application/json`, or a structured `+json` type such as `application/merge-patch+json`.
    static func isJSON(_ mediaType: String) -> Bool {
        mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}

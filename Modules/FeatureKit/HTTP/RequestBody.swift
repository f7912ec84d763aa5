import Hummingbird
import NIOCore
import SwitchyardJSON

extension Request {
    /// The body as JSON: 400 `BAD_REQUEST` for a wrong content type or malformed JSON,
    /// 413 `PAYLOAD_TOO_LARGE` past `limit` (a route's own cap) or else the context's `maxUploadSize`.
    public func jsonBody(context: AppRequestContext, limit: Int? = nil) async throws -> JSONValue {
        let limit = limit ?? context.maxUploadSize
        let mediaType = headers[.contentType]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw APIError.badRequest("Content-Type must be application/json.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.payloadTooLarge("The request body is over \(limit) bytes.")
        }
        do {
            return try JSONParser.parse(Array(buffer.readableBytesView))
        } catch let error as JSONParser.SyntaxError {
            throw APIError.badRequest("The request body is not valid JSON: \(error.reason) at byte \(error.offset).")
        }
    }
}

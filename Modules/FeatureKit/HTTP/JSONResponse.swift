import HTTPTypes
import Hummingbird
import SwitchyardJSON

extension Response {
    /// A JSON response from a `JSONValue`.
    public static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        json(encoded: value.encoded(), status: status, headers: headers)
    }

    /// A JSON response from bytes already encoded.
    public static func json(encoded body: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A JSON response from a body already encoded (a cached one).
    public static func cachedJSON(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension HTTPField.Name {
    /// Total number of items of a paged list.
    public static let xTotalCount = Self("X-Total-Count")!
}

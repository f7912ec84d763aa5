import FeatureKit
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardJSON

/// Routes whose answer is fixed when the server starts (`/health`). Each is registered in the
/// router like any other route, which Hummingbird's path and `HEAD` use; a `GET` of its exact
/// path is answered by `PipelineResponder` on the event loop from the bytes kept here, with
/// no task and no middleware chain to run, and counted in the same request metrics.
struct ConstantRoutes: Sendable {
    struct Answer: Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: ByteBuffer
        let series: RequestMetrics.Series
    }

    private var answers: [String: Answer] = [:]

    /// Adds `GET path` answering `json` to the router and to this table.
    mutating func get(_ path: String, json: JSONValue, on routes: IndexingRouter) {
        let response = Response.json(json)
        let answer = Answer(
            status: response.status, headers: response.headers, body: ByteBuffer(bytes: json.encoded()),
            series: routes.metrics.series(.get, endpoint: path))
        answers[path] = answer
        routes.get(RouterPath(path)) { _, _ in
            Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: answer.body))
        }
    }

    /// The answer to a request for exactly `path` (no query), if it is one of these routes.
    func answer(_ method: HTTPRequest.Method, _ path: String?) -> Answer? {
        guard method == .get, let path else { return nil }
        return answers[path]
    }
}

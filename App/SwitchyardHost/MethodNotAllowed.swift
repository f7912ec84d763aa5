import FeatureKit
import HTTPTypes
import Hummingbird

extension Router<AppRequestContext> {
    /// Hummingbird answers a known path with an unknown method as 404; the spec wants 405 with
    /// `Allow`. Registering a 405 responder for each missing method of each path does that
    /// without touching the router's matching.
    func addMethodNotAllowedResponders() {
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
        let byPath = Dictionary(grouping: routes, by: { $0.path.description })
        for (path, routes) in byPath {
            let allowed = routes.map(\.method)
            for method in methods where !allowed.contains(method) {
                on(RouterPath(path), method: method) { _, _ -> Response in
                    throw APIError.methodNotAllowed(allowed: allowed)
                }
            }
        }
    }
}

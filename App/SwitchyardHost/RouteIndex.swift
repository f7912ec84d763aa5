import FeatureKit
import HTTPTypes
import Hummingbird

/// The routes whose path is made of literals (`/user-points/state`) and whole-component
/// captures (`/products/{id}`), perhaps ending in `**` (`/path-stats/api/**`), matched on the
/// request path's bytes. Hummingbird's trie took 8,700 instructions to find a one-segment route
/// and 19,500 for a hit's four. Every route is in Hummingbird's router as well, and a request
/// the index cannot answer for certain goes there: a path that meets another kind of pattern,
/// a method the route lacks (`HEAD`, 405s), or no route.
///
/// It finds what Hummingbird's trie finds. The trie tries a component against a node's
/// literals first, then its patterns in a fixed order (partial captures and wildcards, a
/// capture, `*`, `**`), and takes the first route that matches; it only looks further when a
/// branch fails. So where the index follows a literal or a capture to a route, so would the
/// trie; where a branch fails, the index leaves the request to the trie.
struct RouteIndex: Sendable {
    struct Endpoint: Sendable {
        let method: HTTPRequest.Method
        let responder: any HTTPResponder<AppRequestContext>
        /// The route's path as Hummingbird's router reports it in `context.endpointPath`.
        let path: String
        let series: RequestMetrics.Series
    }

    /// A route found, with its parameters as Hummingbird's trie would set them.
    struct Match {
        let endpoint: Endpoint
        var captures: [(name: Substring, value: Substring)] = []
        /// What a final `**` took.
        var caught: Substring?
    }

    private struct Node: Sendable {
        var literals: [(name: [UInt8], node: Int)] = []
        var capture: (name: Substring, node: Int)?
        var endpoints: [Endpoint] = []
        /// The routes ending in `**` right below this node.
        var catchAll: [Endpoint] = []
        /// A child of another kind (a partial capture or wildcard, `*`): the trie may take it.
        var hasPatterns = false
    }

    private var nodes = [Node()]

    mutating func add(
        _ path: RouterPath, method: HTTPRequest.Method, responder: any HTTPResponder<AppRequestContext>, series: RequestMetrics.Series
    ) {
        let endpoint = Endpoint(method: method, responder: responder, path: path.description, series: series)
        var node = 0
        for (position, element) in path.enumerated() {
            if position == path.count - 1, element == .recursiveWildcard {
                nodes[node].catchAll.append(endpoint)
                return
            }
            if element == .path(Substring(element.description)) {
                node = literal(of: node, named: Array(element.description.utf8))
            } else if let name = Self.captureName(element), nodes[node].capture.map({ $0.name == name }) ?? true {
                node = capture(of: node, named: name)
            } else {
                nodes[node].hasPatterns = true
                return
            }
        }
        nodes[node].endpoints.append(endpoint)
    }

    /// The parameter name of a whole-component capture (`{id}` or `:id`).
    private static func captureName(_ element: RouterPath.Element) -> Substring? {
        let text = element.description
        guard text.hasPrefix("{"), text.hasSuffix("}") else { return nil }
        let name = Substring(text.dropFirst().dropLast())
        return element == .capture(name) ? name : nil
    }

    private mutating func literal(of node: Int, named name: [UInt8]) -> Int {
        if let existing = nodes[node].literals.first(where: { $0.name == name }) { return existing.node }
        nodes.append(Node())
        nodes[node].literals.append((name, nodes.count - 1))
        return nodes.count - 1
    }

    private mutating func capture(of node: Int, named name: Substring) -> Int {
        if let existing = nodes[node].capture { return existing.node }
        nodes.append(Node())
        nodes[node].capture = (name, nodes.count - 1)
        return nodes.count - 1
    }

    /// The route for `path` and `method`; nil when Hummingbird's router is to decide.
    func match(_ path: String, method: HTTPRequest.Method) -> Match? {
        var text = path
        var captures: [(name: Substring, bytes: Range<Int>)] = []
        var caught: Range<Int>?
        let found = text.withUTF8 { bytes -> Endpoint? in
            var node = 0
            var position = 0
            while true {
                while position < bytes.count, bytes[position] == UInt8(ascii: "/") { position += 1 }
                guard position < bytes.count else { break }
                var end = position
                while end < bytes.count, bytes[end] != UInt8(ascii: "/") { end += 1 }
                let component = UnsafeBufferPointer(rebasing: bytes[position..<end])
                if let next = nodes[node].literals.first(where: { $0.name.elementsEqual(component) }) {
                    node = next.node
                    position = end
                    continue
                }
                // The trie compares components as strings: a non-ASCII one may equal a literal
                // that its bytes do not (`\u{212A}` is `K`).
                guard !nodes[node].hasPatterns, component.allSatisfy({ $0 < 0x80 }) else { return nil }
                if let capture = nodes[node].capture {
                    captures.append((capture.name, position..<end))
                    node = capture.node
                    position = end
                    continue
                }
                guard let endpoint = nodes[node].catchAll.first(where: { $0.method == method }) else { return nil }
                // The trie's catch-all runs from this component to the end of the last one.
                var last = bytes.count
                while bytes[last - 1] == UInt8(ascii: "/") { last -= 1 }
                caught = position..<last
                return endpoint
            }
            return nodes[node].endpoints.first { $0.method == method }
        }
        guard let found else { return nil }
        return Match(
            endpoint: found, captures: captures.map { ($0.name, Self.substring(path, bytes: $0.bytes)) },
            caught: caught.map { Self.substring(path, bytes: $0) })
    }

    /// The characters of `text` at the byte offsets `range`, which lie between `/`s.
    private static func substring(_ text: String, bytes range: Range<Int>) -> Substring {
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        return text[start..<utf8.index(start, offsetBy: range.count)]
    }
}

/// Where every route is registered: on Hummingbird's router, and on the index when it can
/// match it, wrapped in the same middleware as on the router (`add(middleware:)` adds to both),
/// with its metrics series.
struct IndexingRouter: RouterMethods {
    typealias Context = AppRequestContext
    let router: Router<AppRequestContext>
    let metrics: RequestMetrics
    private let index = IndexBuilder()

    init(_ router: Router<AppRequestContext>, metrics: RequestMetrics) {
        self.router = router
        self.metrics = metrics
    }

    @discardableResult func on<Responder: HTTPResponder>(
        _ path: RouterPath, method: HTTPRequest.Method, responder: Responder
    ) -> Self where Responder.Context == AppRequestContext {
        router.on(path, method: method, responder: responder)
        index.add(path, method: method, responder: responder, series: metrics.series(method, endpoint: path.description))
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, AppRequestContext>) -> Self {
        router.add(middleware: middleware)
        index.middlewares.append(middleware)
        return self
    }

    /// The responder for every request: the index where it can answer, the router otherwise.
    func buildResponder() -> IndexedResponder {
        IndexedResponder(index: index.built, router: router.buildResponder(), metrics: metrics)
    }

    /// Routes are registered once, at startup, from one task.
    private final class IndexBuilder: @unchecked Sendable {
        var built = RouteIndex()
        /// The router's middleware so far, outermost first.
        var middlewares: [any MiddlewareProtocol<Request, Response, AppRequestContext>] = []

        func add(
            _ path: RouterPath, method: HTTPRequest.Method, responder: any HTTPResponder<AppRequestContext>, series: RequestMetrics.Series
        ) {
            let wrapped = middlewares.reversed().reduce(responder) { next, middleware in
                MiddlewareResponder(middleware: middleware, next: next)
            }
            built.add(path, method: method, responder: wrapped, series: series)
        }
    }
}

/// A route's responder inside one middleware, as Hummingbird's router wraps it.
private struct MiddlewareResponder: HTTPResponder {
    let middleware: any MiddlewareProtocol<Request, Response, AppRequestContext>
    let next: any HTTPResponder<AppRequestContext>

    func respond(to request: Request, context: AppRequestContext) async throws -> Response {
        try await middleware.handle(request, context: context) { request, context in
            try await next.respond(to: request, context: context)
        }
    }
}

/// Answers as Hummingbird's `RouterResponder` does, finding the route in the index first, and
/// counts every request in the request metrics: as answered, or as the 500 an error that
/// escapes becomes.
public struct IndexedResponder: HTTPResponder {
    public typealias Context = AppRequestContext
    let index: RouteIndex
    let router: RouterResponder<AppRequestContext>
    let metrics: RequestMetrics

    public func respond(to request: Request, context: AppRequestContext) async throws -> Response {
        let start = ContinuousClock.now
        guard let found = index.match(request.uri.path, method: request.method) else {
            // The router reports the route it found in the context, as it does to middleware.
            let series = { metrics.series(request.method, endpoint: context.endpointPath) }
            do {
                return metrics.measure(try await router.respond(to: request, context: context), series(), since: start)
            } catch {
                metrics.record(series(), status: 500, since: start)
                throw error
            }
        }
        let endpoint = found.endpoint
        var context = context
        for (name, value) in found.captures { context.coreContext.parameters[name] = value }
        if let caught = found.caught { context.coreContext.parameters.setCatchAll(caught) }
        context.coreContext.endpointPath.value = endpoint.path
        let response: Response
        do {
            response = try await endpoint.responder.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            metrics.record(endpoint.series, status: 500, since: start)
            throw error
        }
        return metrics.measure(response, endpoint.series, since: start)
    }
}

import FeatureKit
import HTTPTypes
import Hummingbird

/// The routes whose path is literal (`/user-points/state`), or literal up to a final `**`
/// (`/path-stats/api/**`), matched on the request path's bytes. Hummingbird's trie took 8,700
/// instructions to find a one-segment route and 19,500 for a hit's four. Every route is in
/// Hummingbird's router as well, and a request the index cannot answer for certain goes there:
/// a path that meets a capture or a wildcard, a method the route lacks (`HEAD`, 405s), or none.
///
/// It finds what Hummingbird's trie finds, which tries literal components first and takes the
/// first route that matches: a path of literal components all the way to a route is that
/// route; where the next component is no literal child, a final `**` there takes the rest,
/// unless a capture or wildcard beside it would be tried first.
struct RouteIndex: Sendable {
    struct Endpoint: Sendable {
        let method: HTTPRequest.Method
        let responder: any HTTPResponder<AppRequestContext>
        /// The route's path as Hummingbird's router reports it in `context.endpointPath`.
        let path: String
    }

    private struct Node: Sendable {
        var literals: [(name: [UInt8], node: Int)] = []
        var endpoints: [Endpoint] = []
        /// The routes ending in `**` right below this node.
        var catchAll: [Endpoint] = []
        /// A child that is neither a literal nor a final `**`: it is tried before `**`.
        var hasPatterns = false
    }

    private var nodes = [Node()]

    mutating func add(_ path: RouterPath, method: HTTPRequest.Method, responder: any HTTPResponder<AppRequestContext>) {
        let endpoint = Endpoint(method: method, responder: responder, path: path.description)
        var node = 0
        for (position, element) in path.enumerated() {
            let isLast = position == path.count - 1
            if isLast, element == .recursiveWildcard {
                nodes[node].catchAll.append(endpoint)
                return
            }
            guard element == .path(Substring(element.description)) else {
                nodes[node].hasPatterns = true
                return
            }
            node = child(of: node, named: Array(element.description.utf8))
        }
        nodes[node].endpoints.append(endpoint)
    }

    private mutating func child(of node: Int, named name: [UInt8]) -> Int {
        if let existing = nodes[node].literals.first(where: { $0.name == name }) { return existing.node }
        nodes.append(Node())
        nodes[node].literals.append((name, nodes.count - 1))
        return nodes.count - 1
    }

    /// The route for `path` and `method`, with what its `**` caught; nil when Hummingbird's
    /// router is to decide.
    func match(_ path: String, method: HTTPRequest.Method) -> (endpoint: Endpoint, caught: Substring?)? {
        var text = path
        let found = text.withUTF8 { bytes -> (Endpoint, Range<Int>?)? in
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
                // Hummingbird compares components as strings: a non-ASCII one may equal a literal
                // that its bytes do not (`\u{212A}` is `K`).
                guard !nodes[node].hasPatterns, component.allSatisfy({ $0 < 0x80 }),
                    let endpoint = nodes[node].catchAll.first(where: { $0.method == method })
                else { return nil }
                // Hummingbird's catch-all runs from this component to the end of the last one.
                var last = bytes.count
                while bytes[last - 1] == UInt8(ascii: "/") { last -= 1 }
                return (endpoint, position..<last)
            }
            return nodes[node].endpoints.first { $0.method == method }.map { ($0, nil) }
        }
        return found.map { ($0.0, $0.1.map { Self.substring(path, bytes: $0) }) }
    }

    /// The characters of `text` at the byte offsets `range`, which lie between `/`s.
    private static func substring(_ text: String, bytes range: Range<Int>) -> Substring {
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
        return text[start..<utf8.index(start, offsetBy: range.count)]
    }
}

/// Where every route is registered: on Hummingbird's router, and on the index when it can
/// match it, wrapped in the same middleware as on the router (`add(middleware:)` adds to both).
struct IndexingRouter: RouterMethods {
    typealias Context = AppRequestContext
    let router: Router<AppRequestContext>
    private let index = IndexBuilder()

    init(_ router: Router<AppRequestContext>) {
        self.router = router
    }

    @discardableResult func on<Responder: HTTPResponder>(
        _ path: RouterPath, method: HTTPRequest.Method, responder: Responder
    ) -> Self where Responder.Context == AppRequestContext {
        router.on(path, method: method, responder: responder)
        index.add(path, method: method, responder: responder)
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, AppRequestContext>) -> Self {
        router.add(middleware: middleware)
        index.middlewares.append(middleware)
        return self
    }

    /// The responder for every request: the index where it can answer, the router otherwise.
    func buildResponder() -> IndexedResponder {
        IndexedResponder(index: index.built, router: router.buildResponder())
    }

    /// Routes are registered once, at startup, from one task.
    private final class IndexBuilder: @unchecked Sendable {
        var built = RouteIndex()
        /// The router's middleware so far, outermost first.
        var middlewares: [any MiddlewareProtocol<Request, Response, AppRequestContext>] = []

        func add(_ path: RouterPath, method: HTTPRequest.Method, responder: any HTTPResponder<AppRequestContext>) {
            let wrapped = middlewares.reversed().reduce(responder) { next, middleware in
                MiddlewareResponder(middleware: middleware, next: next)
            }
            built.add(path, method: method, responder: wrapped)
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

/// Answers as Hummingbird's `RouterResponder` does, finding the route in the index first.
public struct IndexedResponder: HTTPResponder {
    public typealias Context = AppRequestContext
    let index: RouteIndex
    let router: RouterResponder<AppRequestContext>

    public func respond(to request: Request, context: AppRequestContext) async throws -> Response {
        guard let (endpoint, caught) = index.match(request.uri.path, method: request.method) else {
            return try await router.respond(to: request, context: context)
        }
        var context = context
        if let caught { context.coreContext.parameters.setCatchAll(caught) }
        context.coreContext.endpointPath.value = endpoint.path
        do {
            return try await endpoint.responder.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context)
        }
    }
}

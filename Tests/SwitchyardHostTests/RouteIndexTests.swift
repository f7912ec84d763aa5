import FeatureKit
import Hummingbird
import HummingbirdTesting
import SwitchyardCore
import Testing

@testable import SwitchyardHost

/// The index answers as Hummingbird's router would: the same route, the same catch-all, the
/// same endpoint path and the same middleware, for every path a client may send.
@Suite struct RouteIndexTests {
    /// The shapes of the product's routes, and the ones the index must leave to the router: a
    /// partial capture or wildcard beside a `**` (Hummingbird refuses a whole one), a capture
    /// beside literals that lead elsewhere, a literal that a non-ASCII component equals as a
    /// string.
    static let routes: [(HTTPRequest.Method, RouterPath)] = [
        (.get, "/"), (.get, "/path-stats/api/**"), (.get, "/path-stats/stats"), (.get, "/path-stats/stats/**"),
        (.post, "/path-stats/test/{n}"), (.get, "/area-mode/stats"), (.post, "/area-mode/events"), (.get, "/user-points/"),
        (.get, "/user-points/state"), (.get, "/products-orders/products"), (.post, "/products-orders/products"),
        (.get, "/products-orders/products/{id}"), (.delete, "/products-orders/products/{id}"),
        (.get, "/products-orders/products/delete/{id}"), (.get, "/mixed/**"), (.get, "/mixed/{id}.json"), (.get, "/mixed/fixed"),
        (.get, "/wild/file.*/x"), (.get, "/wild/**"), (.get, "/deep/a/b/**"), (.get, "/deep/{x}/b/c"), (.get, "/kelvin/K"),
        (.get, "/kelvin/**"),
    ]

    static let components = [
        "", "path-stats", "api", "stats", "test", "x", "user-points", "state", "products-orders", "products", "delete", "7",
        "mixed", "fixed", "q.json", "wild", "file.1", "deep", "a", "b", "c", "kelvin", "K", "\u{212A}", "%2F", "é", "area-mode", "events",
    ]

    /// Routes that answer with what they were given, behind a middleware that marks its answers.
    static func responders() throws -> (indexed: IndexedResponder, router: RouterResponder<AppRequestContext>) {
        let router = Router(context: AppRequestContext.self, options: [.autoGenerateHeadEndpoints])
        let routes = IndexingRouter(router, metrics: try RequestMetrics())
        routes.add(middleware: Marking())
        for (method, path) in Self.routes {
            routes.on(path, method: method) { _, context -> String in
                let parameters = context.parameters.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                return "\(method) \(path) parameters=\(parameters) endpoint=\(context.endpointPath ?? "-")"
            }
        }
        router.addMethodNotAllowedResponders()
        return (routes.buildResponder(), router.buildResponder())
    }

    struct Marking: RouterMiddleware {
        typealias Context = AppRequestContext
        @concurrent func handle(
            _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
        ) async throws -> Response {
            var response = try await next(request, context)
            response.headers[.init("X-Marked")!] = "yes"
            return response
        }
    }

    /// Paths made from the routes (some components swapped, a `**` filled with one to three)
    /// and of random components, with empty ones, doubled and trailing slashes and queries.
    static func requests(count: Int, seed: UInt64) -> [(HTTPRequest.Method, String)] {
        let random = RandomSource.seeded(seed)
        func any<T>(_ values: [T]) -> T { values[random.int(in: 0...(values.count - 1))] }
        let methods: [HTTPRequest.Method] = [.get, .get, .get, .post, .delete, .head, .put]
        return (0..<count).map { _ in
            let parts: [String] =
                if random.int(in: 0...1) == 0 {
                    any(routes).1.flatMap { element -> [String] in
                        if element == .recursiveWildcard { return (0..<random.int(in: 1...3)).map { _ in any(components) } }
                        let literal = element == .path(Substring(element.description))
                        return [literal && random.int(in: 0...9) > 0 ? element.description : any(components)]
                    }
                } else {
                    (0..<random.int(in: 0...5)).map { _ in any(components) }
                }
            var path = "/" + parts.joined(separator: random.int(in: 0...4) == 0 ? "//" : "/")
            if random.int(in: 0...2) == 0 { path += "/" }
            if random.int(in: 0...4) == 0 { path += "?q=1" }
            return (any(methods), path)
        }
    }

    @Test func answersAsTheRouterDoesForManyPaths() async throws {
        let (indexed, router) = try Self.responders()
        let requests = Self.requests(count: 3_000, seed: 11)
        // The comparison means something only if the index answers a good share itself.
        let answeredByIndex = requests.filter { method, uri in
            indexed.index.match(String(uri.prefix { $0 != "?" }), method: method) != nil
        }
        #expect(answeredByIndex.count > 300, "\(answeredByIndex.count)")
        try await Application(responder: indexed).test(.router) { indexedClient in
            try await Application(responder: router).test(.router) { routerClient in
                for (method, uri) in requests {
                    let mine = try await indexedClient.execute(uri: uri, method: method)
                    let theirs = try await routerClient.execute(uri: uri, method: method)
                    #expect(mine.status == theirs.status, "\(method) \(uri)")
                    #expect(String(buffer: mine.body) == String(buffer: theirs.body), "\(method) \(uri)")
                    #expect(mine.headers[.init("X-Marked")!] == theirs.headers[.init("X-Marked")!], "\(method) \(uri)")
                }
            }
        }
    }

    @Test func matchesLiteralsAndFinalCatchAllsAndLeavesTheRest() throws {
        let index = try Self.responders().indexed.index
        let hit = index.match("/path-stats/api/bench//x/", method: .get)
        #expect(hit?.endpoint.path == "/path-stats/api/**")
        #expect(hit?.caught == "bench//x")
        #expect(index.match("/user-points/", method: .get)?.endpoint.path == "/user-points")
        #expect(index.match("//user-points", method: .get)?.caught == nil)
        #expect(index.match("/path-stats/stats", method: .get)?.endpoint.path == "/path-stats/stats")
        #expect(index.match("/path-stats/stats/a", method: .get)?.endpoint.path == "/path-stats/stats/**")
        let product = index.match("/products-orders/products/7", method: .delete)
        #expect(product?.endpoint.path == "/products-orders/products/{id}")
        #expect(product?.captures.map { "\($0.name)=\($0.value)" } == ["id=7"])
        #expect(index.match("/products-orders/products/delete", method: .get) == nil)
        #expect(index.match("/deep/z/b/c", method: .get)?.captures.first?.value == "z")
        #expect(index.match("/deep/a/b/c", method: .get)?.caught == "c")
        // For the router: a partial capture or wildcard on the way, a method the route lacks,
        // a non-ASCII component, no route at all.
        #expect(index.match("/mixed/q", method: .get) == nil)
        #expect(index.match("/wild/a/b", method: .get) == nil)
        #expect(index.match("/user-points/", method: .head) == nil)
        #expect(index.match("/kelvin/\u{212A}", method: .get) == nil)
        #expect(index.match("/nothing", method: .get) == nil)
    }
}

import FeatureKit
import Hummingbird

/// One enabled feature, constructed and mounted at its prefix.
struct MountedFeature: Sendable {
    let id: String
    let prefix: String
    let feature: any Feature
    /// The routes it registered, with the prefix applied: `GET /path-stats/stats`.
    let routes: [RouteKey]
}

/// A route identity for collision checks: method plus path with capture names erased,
/// since `/a/{id}` and `/a/{name}` match the same requests.
struct RouteKey: Hashable, Sendable, CustomStringConvertible {
    let method: String
    let path: String

    init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    var shape: RouteKey {
        let components = path.split(separator: "/").map { $0.hasPrefix("{") || $0.hasPrefix(":") ? "{}" : $0 }
        return RouteKey(method: method, path: "/" + components.joined(separator: "/"))
    }

    var description: String { "\(method) \(path)" }
}

struct RouteCollisionError: Error, CustomStringConvertible {
    let route: RouteKey
    let owner: String
    let intruder: String

    var description: String {
        "route collision: \(route) of feature '\(intruder)' is already served by '\(owner)'"
    }
}

/// Tracks who owns which route while features are mounted one by one.
struct RouteTable {
    private var owners: [RouteKey: String] = [:]

    /// The routes `register` adds under `prefix`, found on a scratch router so nothing is
    /// registered on the real one before the collision check passes.
    static func routes(
        prefix: String, register: (RouterGroup<AppRequestContext>) -> Void
    ) -> [RouteKey] {
        let scratch = Router(context: AppRequestContext.self)
        register(scratch.group(RouterPath(prefix == "/" ? "" : prefix)))
        return scratch.routes.map { RouteKey(method: $0.method.rawValue, path: "/" + $0.path.description) }
            .map { RouteKey(method: $0.method, path: $0.path.replacingOccurrences(of: "//", with: "/")) }
            .sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    mutating func claim(_ routes: [RouteKey], for owner: String) throws {
        for route in routes {
            if let existing = owners[route.shape] {
                throw RouteCollisionError(route: route, owner: existing, intruder: owner)
            }
        }
        for route in routes { owners[route.shape] = owner }
    }
}

/// Any other reason startup cannot go on, as one line.
struct StartupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

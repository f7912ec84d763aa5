import Hummingbird
import SwitchyardCore
import SwitchyardJSON
import Synchronization

/// The upstream users API, served from `StubData` for local runs, tests and benchmarks: every
/// answer waits `latency`, a share `errorRate` of answers are 500s, and users in `vanished`
/// are listed by `/users` but 404 everywhere else (deleted after the list was read), users in
/// `failing` always get 500 on their own endpoints. It counts
/// requests and the most it saw in flight, readable at `GET /_stub/stats`.
public final class UsersAPIStub: Sendable {
    public struct Configuration: Sendable {
        public var users: Int
        public var seed: UInt64
        public var latency: Duration
        public var errorRate: Double
        public var vanished: Set<Int64>
        public var failing: Set<Int64>

        public init(
            users: Int = 1_000, seed: UInt64 = 1, latency: Duration = .zero, errorRate: Double = 0,
            vanished: Set<Int64> = [], failing: Set<Int64> = []
        ) {
            (self.users, self.seed, self.latency, self.errorRate) = (users, seed, latency, errorRate)
            (self.vanished, self.failing) = (vanished, failing)
        }
    }

    public let configuration: Configuration
    public let data: StubData
    private let random: RandomSource
    private let userList: [UInt8]
    private let requestCount = Atomic<Int>(0)
    private let errorCount = Atomic<Int>(0)
    private let inFlight = Atomic<Int>(0)
    private let maxInFlightSeen = Atomic<Int>(0)

    public init(_ configuration: Configuration, random: RandomSource = .system) {
        self.configuration = configuration
        self.random = random
        data = StubData(users: configuration.users, seed: configuration.seed)
        userList = JSONValue.array(data.users.map(Self.json)).encoded()
    }

    /// Upstream requests answered (or failed on purpose) so far.
    public var requests: Int { requestCount.load(ordering: .relaxed) }
    public var injectedErrors: Int { errorCount.load(ordering: .relaxed) }
    public var maxInFlight: Int { maxInFlightSeen.load(ordering: .relaxed) }

    public func resetCounters() {
        requestCount.store(0, ordering: .relaxed)
        errorCount.store(0, ordering: .relaxed)
        maxInFlightSeen.store(0, ordering: .relaxed)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/users") { _, _ in try await self.answer(for: nil) { .bytes(self.userList) } }
        router.get("/users/{id}") { _, context in
            let id = context.parameters.get("id", as: Int64.self)
            return try await self.answer(for: id) { self.user(id).map { .value(Self.json($0)) } }
        }
        router.get("/users/{id}/library") { _, context in
            let id = context.parameters.get("id", as: Int64.self)
            return try await self.answer(for: id) {
                self.user(id).map { user in
                    .value(["user": Self.json(user), "ownedGames": .array(user.library.map { Self.json($0.game) })])
                }
            }
        }
        router.get("/users/{id}/achievements/{game}") { _, context in
            let id = context.parameters.get("id", as: Int64.self)
            let gameID = context.parameters.get("game", as: Int64.self)
            return try await self.answer(for: id) {
                guard let user = self.user(id), let owned = user.library.first(where: { $0.game.id == gameID }) else { return nil }
                return .value([
                    "user": Self.json(user), "game": Self.json(owned.game),
                    "totalCompletedAchievements": .int(owned.completed),
                ])
            }
        }
        router.get("/_stub/stats") { _, _ in
            Self.reply(
                JSONValue.object([
                    "requests": .int(Int64(self.requests)), "injected_errors": .int(Int64(self.injectedErrors)),
                    "max_in_flight": .int(Int64(self.maxInFlight)),
                ]).encoded())
        }
        return router
    }

    private enum Body {
        case bytes([UInt8])
        case value(JSONValue)
    }

    /// Counts the request, waits the latency, maybe fails on purpose, else answers or 404s.
    private func answer(for userID: Int64?, _ body: () -> Body?) async throws -> Response {
        requestCount.add(1, ordering: .relaxed)
        let now = inFlight.add(1, ordering: .relaxed).newValue
        maxInFlightSeen.max(now, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        if configuration.latency > .zero { try await Task.sleep(for: configuration.latency) }
        let unlucky = configuration.errorRate > 0 && Double(random.next() >> 11) / Double(1 << 53) < configuration.errorRate
        if unlucky || userID.map(configuration.failing.contains) == true {
            errorCount.add(1, ordering: .relaxed)
            return Self.reply(JSONValue.object(["error": "injected failure"]).encoded(), status: .internalServerError)
        }
        switch body() {
        case .bytes(let bytes): return Self.reply(bytes)
        case .value(let value): return Self.reply(value.encoded())
        case nil: return Self.reply(JSONValue.object(["error": "not found"]).encoded(), status: .notFound)
        }
    }

    private static func reply(_ json: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }

    private func user(_ id: Int64?) -> StubData.User? {
        guard let id, id >= 1, id <= Int64(data.users.count), !configuration.vanished.contains(id) else { return nil }
        return data.users[Int(id - 1)]
    }

    /// With a field beyond those the levels need, as real users APIs have: the original
    /// profile passes it through.
    private static func json(_ user: StubData.User) -> JSONValue {
        ["id": .int(user.id), "name": .string(user.name), "email": .string(user.email), "username": .string("player\(user.id)")]
    }

    private static func json(_ game: StubData.Game) -> JSONValue {
        ["id": .int(game.id), "title": .string(game.title), "totalAvailableAchievements": .int(game.available)]
    }
}

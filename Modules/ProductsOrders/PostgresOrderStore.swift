import FeatureKit
import Foundation
import Postgres

/// Orders in PostgreSQL. An order and its lines are written by one statement (atomic without
/// an explicit transaction, so it can use the shared pipelined connections); reads go by
/// primary key and the `order_id` index, O(lines) however many orders exist.
///
/// Each insert claims a request token of its own in `order_requests` in the same statement.
/// When its answer never comes (`outcomeUnknown`), the store settles it by claiming the token
/// itself: if that claim wins, the order was not stored and never will be (its statement would
/// now fail on the token), so its stock may be given back; if the order holds the token, the
/// order exists and its id is the answer. `order_requests.order_id` has no foreign key on
/// purpose: the statement that stores an order writes it, and a key would make every claim take
/// a share lock on `orders`, so settling would wait for whatever holds `orders` (the very thing
/// that delayed the insert).
struct PostgresOrderStore: OrderStore {
    let postgres: PostgresClient
    /// How long an unanswered insert keeps asking whether it was stored before the request is
    /// answered without knowing: long enough for a primary failover.
    let settleTimeout: Duration

    static let migrations = [
        Migration(
            version: 1, name: "orders and order details",
            sql: """
                CREATE TABLE orders (
                    id bigserial PRIMARY KEY,
                    created_at timestamptz NOT NULL DEFAULT now()
                );
                CREATE TABLE order_details (
                    id bigserial PRIMARY KEY,
                    order_id bigint NOT NULL REFERENCES orders (id),
                    product_id text NOT NULL,
                    price numeric(18, 2) NOT NULL CHECK (price >= 0),
                    quantity integer NOT NULL CHECK (quantity > 0)
                );
                CREATE INDEX order_details_order_id ON order_details (order_id);
                """),
        Migration(
            version: 2, name: "order request tokens",
            sql: """
                CREATE TABLE order_requests (
                    token uuid PRIMARY KEY,
                    order_id bigint
                );
                """),
    ]

    func insert(_ lines: [OrderLine], token: String) async throws -> Int64 {
        do {
            return try await store(lines, token: token)
        } catch let error as PostgresError where error.isOutcomeUnknown {
            return try await settle(token: token, after: error)
        }
    }

    func store(_ lines: [OrderLine], token: String) async throws -> Int64 {
        let rows = try await postgres.query(
            """
            WITH new_order AS (INSERT INTO orders DEFAULT VALUES RETURNING id),
            request AS (INSERT INTO order_requests (token, order_id) SELECT $4::uuid, id FROM new_order)
            INSERT INTO order_details (order_id, product_id, price, quantity)
            SELECT new_order.id, line.product_id, line.price, line.quantity
            FROM new_order, unnest($1::text[], $2::numeric[], $3::integer[]) WITH ORDINALITY
                AS line (product_id, price, quantity, position)
            ORDER BY line.position
            RETURNING order_id
            """,
            PostgresArray(lines.map(\.productID)), PostgresArray(lines.map(\.price.text)), PostgresArray(lines.map(\.quantity)),
            token)
        guard let id = try rows.first?.decode(Int64.self, "order_id") else {
            throw PostgresError.decoding("the order insert returned no id")
        }
        return id
    }

    /// After an unanswered insert: the claim is sent until PostgreSQL answers it, for up to
    /// `settleTimeout`, so the request gets the true answer (the order, or 503 with its stock
    /// given back) across a failover; past it `OrderOutcomeUnknown`, for the caller to settle later.
    private func settle(token: String, after error: PostgresError) async throws -> Int64 {
        let deadline = ContinuousClock.now + settleTimeout
        var pause = Duration.milliseconds(50)
        while true {
            do {
                guard let id = try await settle(token: token) else { throw OrderNotStored(cause: error) }
                return id
            } catch let failure as PostgresError where failure.isUnavailable {
                guard ContinuousClock.now + pause < deadline else { throw OrderOutcomeUnknown(token: token, cause: error) }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(500))
            }
        }
    }

    /// The id of the order that holds `token`, or nil once the token is claimed here (or was by
    /// an earlier claim whose answer was lost): that order is not stored and never will be.
    func settle(token: String) async throws -> Int64? {
        let claimed = try await postgres.query(
            "INSERT INTO order_requests (token) VALUES ($1::uuid) ON CONFLICT (token) DO NOTHING RETURNING token", token)
        guard claimed.rows.isEmpty else { return nil }
        return try await postgres.query("SELECT order_id FROM order_requests WHERE token = $1::uuid", token).first?
            .decode(Int64?.self, "order_id")
    }

    func order(_ id: Int64) async throws -> Order? {
        try await orders(
            "SELECT id, created_at FROM orders WHERE id = $1", id
        ).first
    }

    func page(before cursor: Int64?, limit: Int) async throws -> [Order] {
        try await orders(
            "SELECT id, created_at FROM orders WHERE id < $1 ORDER BY id DESC LIMIT $2", cursor ?? Int64.max, limit)
    }

    func ascending(offset: Int, limit: Int) async throws -> [Order] {
        try await orders("SELECT id, created_at FROM orders ORDER BY id LIMIT $1 OFFSET $2", limit, offset).reversed()
    }

    func countCreated(inLast seconds: Int) async throws -> Int64 {
        try await postgres.query(
            "SELECT count(*) AS n FROM orders WHERE created_at > now() - make_interval(secs => $1)", seconds
        ).first?.decode(Int64.self, "n") ?? 0
    }

    /// The orders `selectOrders` picks, with their lines, in its order: one statement. The
    /// lines are looked up per order (by the `order_id` index; `OFFSET 0` keeps the planner
    /// from flattening the lookup into a join) because the statement is prepared: a generic
    /// plan cannot see the page's LIMIT and, with a plain join, hashed the whole
    /// `order_details` table for a page of 50 (219 ms at 1M orders).
    private func orders(_ selectOrders: String, _ parameters: any PostgresEncodable...) async throws -> [Order] {
        let rows = try await postgres.query(
            """
            WITH picked AS (\(selectOrders))
            SELECT picked.id AS order_id, picked.created_at, d.id, d.product_id, d.price::text AS price, d.quantity
            FROM picked LEFT JOIN LATERAL (
                SELECT id, product_id, price, quantity FROM order_details WHERE order_id = picked.id OFFSET 0
            ) d ON true
            ORDER BY picked.id DESC, d.id
            """, parameters: parameters)
        var orders: [Order] = []
        for row in rows.rows {
            let id = try row.decode(Int64.self, "order_id")
            if orders.last?.id != id {
                orders.append(Order(id: id, createdAt: try row.decode(Date.self, "created_at"), details: []))
            }
            guard let detailID = try row.decode(Int64?.self, "id") else { continue }
            guard let price = Price(text: try row.decode(String.self, "price")) else {
                throw PostgresError.decoding("order \(id) has a price outside the accepted form")
            }
            orders[orders.count - 1].details.append(
                OrderDetail(
                    id: detailID, productID: try row.decode(String.self, "product_id"), price: price,
                    quantity: try row.decode(Int64.self, "quantity")))
        }
        return orders
    }
}

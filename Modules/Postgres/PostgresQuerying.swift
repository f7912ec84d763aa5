/// What the client and a transaction both offer, so a store can run the same statements on
/// either.
public protocol PostgresQuerying: Sendable {
    /// Runs one statement with bound parameters and returns its rows.
    func query(_ sql: String, parameters: [any PostgresEncodable]) async throws -> PostgresRows

    /// Loads rows with `COPY table (columns) FROM STDIN`; returns the number of rows copied.
    func copyIn(_ sql: String, rows: [[any PostgresEncodable]]) async throws -> Int
}

extension PostgresQuerying {
    @discardableResult
    public func query(_ sql: String, _ parameters: any PostgresEncodable...) async throws -> PostgresRows {
        try await query(sql, parameters: parameters)
    }

    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: any PostgresEncodable...) async throws -> Int {
        try await query(sql, parameters: parameters).affectedRows
    }
}

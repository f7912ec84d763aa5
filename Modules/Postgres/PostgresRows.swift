/// The rows of a result, copied out of libpq's memory as text (NULL as nil).
public struct PostgresRows: Sendable {
    public let columns: [String]
    public let rows: [PostgresRow]
    /// Rows affected, for INSERT/UPDATE/DELETE/COPY.
    public let affectedRows: Int
    /// The server's command tag: `INSERT 0 1`, `COMMIT`, or `ROLLBACK` for a COMMIT of a failed transaction.
    public let commandTag: String

    init(columns: [String], values: [[String?]], affectedRows: Int, commandTag: String) {
        self.columns = columns
        let index = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        rows = values.map { PostgresRow(values: $0, columnIndex: index) }
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    public var first: PostgresRow? { rows.first }
}

public struct PostgresRow: Sendable {
    let values: [String?]
    let columnIndex: [String: Int]

    /// The column's value; a NULL decodes only into an Optional.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        guard let text = try raw(column) else {
            throw PostgresError.decoding("column \(column) is NULL")
        }
        return try T(postgresText: text)
    }

    public func decode<T: PostgresDecodable>(_ type: T?.Type = T?.self, _ column: String) throws -> T? {
        try raw(column).map(T.init(postgresText:))
    }

    /// By position, for unnamed expressions (`SELECT count(*)`).
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at position: Int) throws -> T {
        guard values.indices.contains(position), let text = values[position] else {
            throw PostgresError.decoding("column \(position) is NULL or missing")
        }
        return try T(postgresText: text)
    }

    private func raw(_ column: String) throws -> String? {
        guard let position = columnIndex[column] else { throw PostgresError.decoding("no column \(column)") }
        return values[position]
    }
}

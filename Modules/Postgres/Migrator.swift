/// Applies features' versioned migrations. Applying takes a transaction-scoped advisory lock,
/// so replicas starting together apply every migration exactly once; an applied migration whose
/// SQL has since changed stops startup rather than leaving the schema in doubt. A feature with
/// nothing pending (every start but the first) is checked without the lock: replicas and tests
/// starting together would otherwise queue behind each other's commits.
public struct Migrator: Sendable {
    let client: PostgresClient

    public init(client: PostgresClient) {
        self.client = client
    }

    /// Applies the pending migrations of `feature` in one transaction; returns the versions applied.
    @discardableResult
    public func apply(feature: String, _ migrations: [Migration]) async throws -> [Int] {
        guard !migrations.isEmpty else { return [] }
        let ordered = migrations.sorted { $0.version < $1.version }
        if let duplicate = zip(ordered, ordered.dropFirst()).first(where: { $0.version == $1.version }) {
            throw MigrationError.duplicateVersion(feature: feature, version: duplicate.0.version)
        }
        let checksums = try await client.query(
            "SELECT md5(m.sql) AS sum FROM unnest($1::text[]) WITH ORDINALITY AS m(sql, n) ORDER BY m.n",
            PostgresArray(ordered.map(\.sql))
        ).rows.map { try $0.decode(String.self, "sum") }
        let versions = zip(ordered, checksums).map { (migration: $0, checksum: $1) }
        do {
            if try await pending(feature, versions, on: client).isEmpty { return [] }
        } catch let error as PostgresError where error.sqlState == "42P01" {
            // No bookkeeping table yet: the first start, which makes it under the lock.
        }
        return try await client.transaction(work: .maintenance) { transaction in
            try await transaction.query("SELECT pg_advisory_xact_lock(hashtext('switchyard-migrations'))")
            try await transaction.executeScript(
                """
                CREATE TABLE IF NOT EXISTS switchyard_migrations (
                    feature text NOT NULL,
                    version integer NOT NULL,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (feature, version)
                )
                """)
            var appliedNow: [Int] = []
            for (migration, checksum) in try await pending(feature, versions, on: transaction) {
                try await transaction.executeScript(migration.sql)
                try await transaction.execute(
                    "INSERT INTO switchyard_migrations (feature, version, name, checksum) VALUES ($1, $2, $3, $4)",
                    feature, migration.version, migration.name, checksum)
                appliedNow.append(migration.version)
            }
            return appliedNow
        }
    }

    /// The migrations not recorded yet, in order; throws if a recorded one's SQL has changed.
    private func pending(
        _ feature: String, _ versions: [(migration: Migration, checksum: String)], on database: some PostgresQuerying
    ) async throws -> [(migration: Migration, checksum: String)] {
        let rows = try await database.query(
            "SELECT version, checksum FROM switchyard_migrations WHERE feature = $1", feature)
        var recorded: [Int: String] = [:]
        for row in rows.rows {
            recorded[try row.decode(Int.self, "version")] = try row.decode(String.self, "checksum")
        }
        return try versions.filter { migration, checksum in
            guard let applied = recorded[migration.version] else { return true }
            guard applied == checksum else {
                throw MigrationError.checksumMismatch(feature: feature, version: migration.version, name: migration.name)
            }
            return false
        }
    }
}

public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case checksumMismatch(feature: String, version: Int, name: String)
    case duplicateVersion(feature: String, version: Int)

    public var description: String {
        switch self {
        case .checksumMismatch(let feature, let version, let name):
            "migration \(feature) v\(version) (\(name)) was changed after it was applied; restore it and add a new version instead"
        case .duplicateVersion(let feature, let version):
            "feature \(feature) declares migration version \(version) twice"
        }
    }
}

/// Applies features' versioned migrations. Each run takes a transaction-scoped advisory lock,
/// so replicas starting together apply every migration exactly once; an applied migration whose
/// SQL has since changed stops startup rather than leaving the schema in doubt.
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
        return try await client.transaction { transaction in
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
            let rows = try await transaction.query(
                "SELECT version, checksum FROM switchyard_migrations WHERE feature = $1", feature)
            var applied: [Int: String] = [:]
            for row in rows.rows {
                applied[try row.decode(Int.self, "version")] = try row.decode(String.self, "checksum")
            }
            var appliedNow: [Int] = []
            for migration in ordered {
                let checksum = try await transaction.query("SELECT md5($1) AS sum", migration.sql)
                    .first!.decode(String.self, "sum")
                if let recorded = applied[migration.version] {
                    guard recorded == checksum else {
                        throw MigrationError.checksumMismatch(
                            feature: feature, version: migration.version, name: migration.name)
                    }
                    continue
                }
                try await transaction.executeScript(migration.sql)
                try await transaction.execute(
                    "INSERT INTO switchyard_migrations (feature, version, name, checksum) VALUES ($1, $2, $3, $4)",
                    feature, migration.version, migration.name, checksum)
                appliedNow.append(migration.version)
            }
            return appliedNow
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

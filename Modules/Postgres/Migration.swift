/// One versioned step of a feature's schema. Applied once, in `version` order, inside a
/// transaction; its checksum is recorded so an edited, already-applied migration is caught.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

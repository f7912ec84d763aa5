/// What a statement on the shared pipelined connections may not do: change the session or open
/// a transaction, which would reach every other caller of that connection. Such work takes a
/// connection of its own (`PostgresClient.transaction`). A connection found in a transaction
/// after a batch anyway is closed.
enum SharedConnectionRules {
    /// Leading keywords that change the session or the transaction state.
    static let sessionKeywords: Set<String> = [
        "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "PREPARE", "SET", "RESET",
        "LISTEN", "UNLISTEN", "DISCARD", "DEALLOCATE", "DECLARE", "LOCK", "LOAD", "CLOSE", "FETCH", "MOVE",
    ]
    /// Functions whose effect outlives the statement: session-level advisory locks and settings.
    static let sessionFunctions = ["pg_advisory_lock", "pg_try_advisory_lock", "set_config"]

    static func refusal(of sql: String) -> PostgresError? {
        let keyword = firstKeyword(sql).uppercased()
        let lowered = sql.lowercased()
        guard sessionKeywords.contains(keyword) || sessionFunctions.contains(where: lowered.contains) else { return nil }
        return .server(
            sqlState: "0A000",
            message: "\(keyword.isEmpty ? "this statement" : keyword) changes the session; run it in a transaction, not on a shared connection")
    }

    /// The first word of `sql`, past white space, comments and opening parentheses.
    static func firstKeyword(_ sql: String) -> Substring {
        var rest = Substring(sql)
        while true {
            rest = rest.drop { $0.isWhitespace || $0 == "(" }
            if rest.hasPrefix("--") {
                rest = rest.drop { $0 != "\n" }
            } else if rest.hasPrefix("/*"), let end = rest.range(of: "*/") {
                rest = rest[end.upperBound...]
            } else {
                return rest.prefix { $0.isLetter || $0 == "_" }
            }
        }
    }
}

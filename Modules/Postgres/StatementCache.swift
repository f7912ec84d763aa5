/// Which SQL texts one connection keeps prepared. A text is prepared the second time it is seen,
/// so one-off statements (DDL, a table named per generation or per day) run unnamed and leave
/// nothing behind; at most `capacity` stay prepared, the least recently used one is deallocated
/// when another needs its place.
struct StatementCache {
    let capacity: Int
    /// SQL text to its statement name and when it was last used.
    private var names: [String: (name: String, used: Int)] = [:]
    /// Texts seen once and not prepared; forgotten wholesale when it grows past its bound.
    private var seenOnce: Set<String> = []
    private var clock = 0
    /// Names only grow, so a failed prepare never leaves a name that another text could get.
    private var nextNumber = 0
    /// Names evicted but not yet deallocated on the server.
    private(set) var evicted: [String] = []

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    enum Plan: Equatable {
        /// Already prepared under this name.
        case prepared(String)
        /// Prepare under this name now, then run it.
        case prepare(String)
        /// Run as an unnamed statement.
        case unnamed
    }

    var preparedCount: Int { names.count }

    /// What to do with `sql` now. A `.prepare` is recorded only by `didPrepare`, once the
    /// server accepted it.
    mutating func plan(_ sql: String) -> Plan {
        clock += 1
        if let entry = names[sql] {
            names[sql]?.used = clock
            return .prepared(entry.name)
        }
        guard capacity > 0, seenOnce.contains(sql) else {
            if seenOnce.count >= 4 * max(capacity, 16) { seenOnce.removeAll(keepingCapacity: true) }
            seenOnce.insert(sql)
            return .unnamed
        }
        defer { nextNumber += 1 }
        return .prepare("switchyard_\(nextNumber)")
    }

    /// The server has `name` prepared for `sql`; makes room by evicting the least recently used.
    mutating func didPrepare(_ sql: String, as name: String) {
        seenOnce.remove(sql)
        names[sql] = (name, clock)
        while names.count > capacity, let oldest = names.min(by: { $0.value.used < $1.value.used }) {
            names.removeValue(forKey: oldest.key)
            evicted.append(oldest.value.name)
        }
    }

    /// The evicted names to deallocate; they are forgotten here once taken.
    mutating func takeEvicted() -> [String] {
        defer { evicted = [] }
        return evicted
    }
}

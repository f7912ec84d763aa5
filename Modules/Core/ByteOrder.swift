import Glibc

extension String {
    /// Whether this string sorts before `other` by its UTF-8 bytes: PostgreSQL's "C" collation,
    /// the order rows are locked in. Compared with `memcmp` on the strings' own storage, where
    /// `utf8.lexicographicallyPrecedes` steps through a view a byte at a time (16% of the
    /// server's time on ingest of 1,000 new users a batch).
    public func precedesInByteOrder(_ other: String) -> Bool {
        var (left, right) = (self, other)
        return left.withUTF8 { left in
            right.withUTF8 { right in
                let shared = min(left.count, right.count)
                let order = shared == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, shared)
                return order != 0 ? order < 0 : left.count < right.count
            }
        }
    }
}

/// Which of Redis Cluster's 16,384 hash slots a key lives in: CRC16 (XMODEM) of the key, or of
/// its hash tag, the part between the first `{` and the next `}` when that part is not empty,
/// so keys that share a tag share a slot and can meet in one command or script.
public enum ClusterSlot {
    public static let count = 16_384

    public static func of<Key: Collection<UInt8>>(_ key: Key) -> Int {
        Int(crc16(hashedPart(of: key)) & UInt16(count - 1))
    }

    public static func of(_ key: String) -> Int { of(Array(key.utf8)) }

    /// The hash tag that puts a key in the slot of `key`: `key`'s own tag, or all of `key` as
    /// one. `hashTag(of: "a:b") + ":c"` is `{a:b}:c`, in the slot of `a:b`.
    public static func hashTag(of key: String) -> String {
        "{" + String(decoding: hashedPart(of: Array(key.utf8)), as: UTF8.self) + "}"
    }

    static func hashedPart<Key: Collection<UInt8>>(of key: Key) -> Key.SubSequence {
        if let open = key.firstIndex(of: UInt8(ascii: "{")) {
            let afterOpen = key.index(after: open)
            if let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen {
                return key[afterOpen..<close]
            }
        }
        return key[...]
    }

    static func crc16<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    /// CRC16-XMODEM (polynomial 0x1021, initial 0), a byte at a time.
    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}

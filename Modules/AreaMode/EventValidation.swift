import FeatureKit
import SwitchyardJSON

/// Turns a request body into events, or reports every bad field of every item.
enum EventValidation {
    static let maximumItems = 10_000

    static func events(from body: JSONValue) throws -> [AreaEvent] {
        let items: [JSONValue]
        switch body {
        case .array(let elements) where elements.isEmpty:
            return []
        case .object(let fields):
            switch fields["items"] {
            case nil, .null?: return []
            case .array(let elements)?: items = elements
            case let other?:
                throw APIError.validation([FieldError(field: "items", message: "must be an array, got \(other.typeName)")])
            }
        default:
            throw APIError.validation([FieldError(field: "body", message: "must be an object with an items array")])
        }
        guard items.count <= maximumItems else {
            throw APIError.payloadTooLarge("A batch holds at most \(maximumItems) items, got \(items.count).")
        }
        var validator = Validator()
        var events: [AreaEvent] = []
        events.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let path = "items[\(index)]"
            guard let fields = validator.object(item, field: path) else { continue }
            let area = areaCode(fields["area_code"], field: "\(path).area_code", validator: &validator)
            let mode = validator.string(fields, "multiplayer_mode", path: "\(path).multiplayer_mode", length: 1...64)
            if let mode, !isModeName(mode) {
                validator.fail("\(path).multiplayer_mode", "may hold only letters, digits, space, _ and -")
            }
            let user = validator.string(fields, "user_id", path: "\(path).user_id", length: 1...128)
            if let user, hasControlCharacter(user) {
                validator.fail("\(path).user_id", "must not contain control characters")
            }
            let name = validator.string(fields, "events_name", path: "\(path).events_name", length: 1...16)
            let event = name.flatMap { EventName(rawValue: $0.uppercased()) }
            if name != nil, event == nil {
                validator.fail("\(path).events_name", "must be LOGIN or LOGOUT")
            }
            if let area, let mode, let user, let event, validator.errors.isEmpty {
                events.append(AreaEvent(place: Place(area: area, mode: mode), userID: user, name: event))
            }
        }
        try validator.finish()
        return events
    }

    /// An integer 100..999, or a string holding one.
    private static func areaCode(_ value: JSONValue?, field: String, validator: inout Validator) -> Int? {
        if case .string(let text)? = value {
            guard let number = Int(text), (100...999).contains(number) else {
                validator.fail(field, "must be an integer from 100 to 999, got '\(text.prefix(32))'")
                return nil
            }
            return number
        }
        return validator.int(["area_code": value ?? .null], "area_code", path: field, in: 100...999).map(Int.init)
    }

    // Both checks look at the bytes first: Unicode properties are a table lookup per scalar,
    // which showed in profiles of 1,000-event batches, and almost every name is ASCII.

    /// Letters (any script), digits, space, `_` and `-`.
    static func isModeName(_ mode: String) -> Bool {
        if mode.utf8.allSatisfy({ $0 < 0x80 }) {
            return mode.utf8.allSatisfy { byte in
                (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                    || byte == 0x20 || byte == 0x5F || byte == 0x2D
            }
        }
        return mode.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == " " || scalar == "_" || scalar == "-"
        }
    }

    /// Whether any scalar is a control character (general category Cc).
    static func hasControlCharacter(_ user: String) -> Bool {
        if user.utf8.allSatisfy({ $0 < 0x80 }) {
            return user.utf8.contains { $0 < 0x20 || $0 == 0x7F }
        }
        return user.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

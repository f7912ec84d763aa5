import Configuration
import Foundation

/// Checked reads of configuration values. swift-configuration's plain getters fall back to the
/// default when a value does not convert; the spec wants a malformed or out-of-range value to stop
/// startup with one line naming the key, so every read here validates and throws.
public struct Settings: Sendable {
    let reader: ConfigReader
    /// Key prefix of this view, e.g. `features.path-stats`; empty at the root.
    public let prefix: String

    public init(reader: ConfigReader, prefix: String = "") {
        self.reader = reader
        self.prefix = prefix
    }

    /// The same configuration seen under `prefix.component`.
    public func scoped(_ component: String) -> Settings {
        Settings(reader: reader, prefix: fullKey(component))
    }

    public func fullKey(_ key: String) -> String {
        prefix.isEmpty ? key : "\(prefix).\(key)"
    }

    public func string(_ key: String, secret: Bool = false) -> String? {
        let value = reader.string(forKey: ConfigKey(fullKey(key)), isSecret: secret)
        return value?.isEmpty == true ? nil : value
    }

    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        let absolute = ConfigKey(fullKey(key))
        let value: Int
        if let text = reader.string(forKey: absolute) {
            guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError(key: fullKey(key), problem: "'\(text)' is not an integer")
            }
            value = parsed
        } else if let number = reader.int(forKey: absolute) {
            value = number
        } else if reader.double(forKey: absolute) != nil {
            throw ConfigurationError(key: fullKey(key), problem: "must be an integer")
        } else {
            value = defaultValue
        }
        guard range.contains(value) else {
            throw ConfigurationError(
                key: fullKey(key), problem: "\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// One of an enumeration's values by name (any case), `defaultValue` when unset; any other
    /// value stops startup naming the ones allowed.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, default defaultValue: T) throws -> T
    where T.RawValue == String {
        guard let text = string(key) else { return defaultValue }
        guard let value = T(rawValue: text.lowercased()) else {
            let names = T.allCases.map(\.rawValue).joined(separator: " or ")
            throw ConfigurationError(key: fullKey(key), problem: "'\(text)' is not \(names)")
        }
        return value
    }

    /// A duration given in (possibly fractional) seconds.
    public func seconds(_ key: String, default defaultValue: Double, in range: ClosedRange<Double>) throws -> Duration {
        let absolute = ConfigKey(fullKey(key))
        let value: Double
        if let text = reader.string(forKey: absolute) {
            guard let parsed = Double(text.trimmingCharacters(in: .whitespaces)), parsed.isFinite else {
                throw ConfigurationError(key: fullKey(key), problem: "'\(text)' is not a number of seconds")
            }
            value = parsed
        } else {
            value = reader.double(forKey: absolute) ?? defaultValue
        }
        guard range.contains(value) else {
            throw ConfigurationError(
                key: fullKey(key), problem: "\(value) is out of range \(range.lowerBound)...\(range.upperBound) seconds")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }
}

/// A configuration value that stops startup; its description is the one line printed.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var key: String
    public var problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "configuration error: \(key): \(problem)" }
}

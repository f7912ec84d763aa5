import Configuration
import FeatureKit
import SystemPackage

/// Builds the one configuration reader, in the spec's precedence (last wins):
/// built-in defaults (at each read site) < `--config FILE` (JSON) < environment < command-line flags.
public enum ConfigSources {
    /// The spec's conventional environment names that the mechanical key mapping does not produce.
    static let shortEnvironmentNames = [
        "FEATURES": "FEATURES_ENABLED",
        "DATABASE_URL": "POSTGRES_URL",
        "ADMIN_TOKEN": "AUTH_ADMIN_TOKEN",
        "USERS_API_URL": "FEATURES_ACHIEVEMENT_LEVEL_UPSTREAM_URL",
    ]

    static let secretEnvironmentNames: Set<String> = ["AUTH_ADMIN_TOKEN", "POSTGRES_URL", "REDIS_URL"]

    /// - Parameters:
    ///   - flags: dotted keys to values, from the command line.
    ///   - configFile: path of a JSON file, nested like the dotted keys.
    ///   - environment: the process environment.
    public static func reader(
        flags: [String: String], configFile: String?, environment: [String: String]
    ) async throws -> Settings {
        var providers: [any ConfigProvider] = []
        let flagValues = Dictionary(
            uniqueKeysWithValues: flags.map { key, value in
                (AbsoluteConfigKey(ConfigKey(key)), ConfigValue(.string(value), isSecret: key.contains("token")))
            })
        providers.append(InMemoryProvider(name: "flags", values: flagValues))
        providers.append(
            EnvironmentVariablesProvider(
                environmentVariables: withShortNamesMapped(environment),
                secretsSpecifier: .specific(secretEnvironmentNames)))
        if let configFile {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(configFile)))
            } catch {
                throw ConfigurationError(key: "--config", problem: "cannot read JSON file \(configFile): \(error)")
            }
        }
        return Settings(reader: ConfigReader(providers: providers))
    }

    /// Adds the mechanical name for each short name given; an explicit mechanical name wins.
    static func withShortNamesMapped(_ environment: [String: String]) -> [String: String] {
        var mapped = environment
        for (short, mechanical) in shortEnvironmentNames {
            if let value = environment[short], environment[mechanical] == nil {
                mapped[mechanical] = value
            }
        }
        return mapped
    }
}

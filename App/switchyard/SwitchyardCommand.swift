import ArgumentParser
import FeatureKit
import Foundation
import SwitchyardHost

@main
struct SwitchyardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "Five backend features in one server.",
        subcommands: [Serve.self, Migrate.self, UsersAPIStubCommand.self],
        defaultSubcommand: Serve.self)
}

/// Options every subcommand that reads configuration shares.
struct ConfigOptions: ParsableArguments {
    @Option(help: "JSON configuration file (overridden by environment and flags).")
    var config: String?

    @Option(help: "Listen address (http.host).")
    var host: String?

    @Option(help: "Listen port (http.port).")
    var port: String?

    @Option(help: "Comma-separated feature ids, 'all' or 'none' (features.enabled).")
    var features: String?

    @Option(name: .customLong("set"), help: "Any configuration key, as key=value (repeatable).")
    var overrides: [String] = []

    /// Dotted keys to values; named flags win over `--set`.
    func flags() throws -> [String: String] {
        var flags: [String: String] = [:]
        for pair in overrides {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--set takes key=value, got '\(pair)'")
            }
            flags[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        flags["http.host"] = host ?? flags["http.host"]
        flags["http.port"] = port ?? flags["http.port"]
        flags["features.enabled"] = features ?? flags["features.enabled"]
        return flags
    }

    func settings() async throws -> Settings {
        try await ConfigSources.reader(
            flags: flags(), configFile: config, environment: ProcessInfo.processInfo.environment)
    }
}

/// Prints a startup error as one line on stderr and exits non-zero.
func exitOnStartupError<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as any Error & CustomStringConvertible {
        FileHandle.standardError.write(Data("switchyard: \(error.description)\n".utf8))
        throw ExitCode(2)
    }
}

import ArgumentParser
import KnownFeatures
import Logging
import SwitchyardHost

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server with the enabled features.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let server = try await exitOnStartupError {
            let settings = try await options.settings()
            let level = try HostSettings(settings, knownFeatures: knownFeatures).logLevel
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            return try await Switchyard.build(settings: settings, knownFeatures: knownFeatures)
        }
        try await server.run()
    }
}

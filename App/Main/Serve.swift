import ArgumentParser
import SwitchyardHost

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server with the enabled features.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let server = try await exitOnStartupError {
            try await Switchyard.build(settings: options.settings(), knownFeatures: knownFeatures)
        }
        try await server.run()
    }
}

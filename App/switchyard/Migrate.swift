import ArgumentParser
import KnownFeatures
import SwitchyardHost

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the enabled features' PostgreSQL migrations, then exit.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        try await exitOnStartupError {
            try await Switchyard.migrateOnly(settings: options.settings(), knownFeatures: knownFeatures)
        }
    }
}

import ArgumentParser
import Logging

/// The options every command of both executables takes: the configuration file and the log level.
public struct CommonOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: "Path of the YAML configuration file.")
    public var config: String

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: Logger.Level = .info

    public init() {}

    /// Logs go to stderr (stdout may carry JSON lines) at the chosen level.
    public func bootstrapLogging() {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

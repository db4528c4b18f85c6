import Logging
import RuntimeSupport
import ServiceLifecycle

/// How every long-running command runs: its services in one `ServiceGroup` until SIGTERM or SIGINT (or until a
/// service ends the group), a graceful shutdown of at most `grace` before the group cancels what is left, then every
/// dedicated thread (`DedicatedThreads`) awaited for at most 2 s more. The last line says that every thread ended,
/// or names the ones still running.
public enum ProcessLifecycle {
    public static func run(
        _ services: [ServiceGroupConfiguration.ServiceConfiguration], grace: Duration, logger: Logger
    ) async throws {
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = grace
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            await awaitThreads(logger: logger)
            throw error
        }
        await awaitThreads(logger: logger)
    }

    private static func awaitThreads(logger: Logger) async {
        let threads = DedicatedThreads.process
        if await threads.allFinished(within: .seconds(2), clock: .system) {
            logger.info("stopped: every thread has ended")
        } else {
            logger.warning(
                "stopped with threads still running (they end with the process): \(threads.running.joined(separator: ", "))"
            )
        }
    }
}

import ServiceLifecycle

/// Re-evaluates stream health and pushes totals once a second, until shutdown (embedded mode; the Kafka feed ticks
/// by itself). In the pipeline's process the board can also say why a stream is not online: `sourceReasons` gives
/// each such stream's source error (e.g. `cannot open '…': file not found`).
public struct BoardTicker: Service {
    let publisher: BoardPublisher
    let sourceReasons: @Sendable () -> [String: String]

    public init(publisher: BoardPublisher, sourceReasons: @escaping @Sendable () -> [String: String] = { [:] }) {
        self.publisher = publisher
        self.sourceReasons = sourceReasons
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await publisher.runTicks(sourceReasons: sourceReasons)
        }
    }
}

import ServiceLifecycle

/// Re-evaluates stream health and pushes totals once a second, until shutdown (embedded mode; the Kafka feed ticks
/// by itself).
public struct BoardTicker: Service {
    let publisher: BoardPublisher

    public init(publisher: BoardPublisher) {
        self.publisher = publisher
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await publisher.runTicks()
        }
    }
}

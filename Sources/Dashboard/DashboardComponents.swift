import AnalyticsCore
import Logging

/// The board, hub and publisher of one dashboard, wired together.
public struct DashboardComponents: Sendable {
    public let board: StreamBoard
    public let hub: WebSocketHub
    public let publisher: BoardPublisher

    public init(configuration: DashboardConfiguration, logger: Logger) {
        board = StreamBoard(
            staleAfterSeconds: configuration.staleAfterSeconds, offlineAfterSeconds: configuration.offlineAfterSeconds)
        hub = WebSocketHub(board: board)
        publisher = BoardPublisher(board: board, hub: hub, logger: logger)
    }
}

import AnalyticsCore
import Logging

/// The board, hub and publisher of one dashboard, wired together.
public struct DashboardComponents: Sendable {
    public let board: StreamBoard
    public let hub: WebSocketHub
    public let publisher: BoardPublisher

    /// `streams` (the configured streams) are shown as waiting until their first message, with their zones and
    /// lines.
    public init(configuration: DashboardConfiguration, streams: [StreamConfiguration] = [], logger: Logger) {
        board = StreamBoard(
            staleAfterSeconds: configuration.staleAfterSeconds, offlineAfterSeconds: configuration.offlineAfterSeconds)
        board.register(streams)
        hub = WebSocketHub(board: board)
        publisher = BoardPublisher(board: board, hub: hub, logger: logger)
    }
}

/// What every reader needs from `pipeline:` (the pipeline makes it from its `PipelineConfiguration`).
public struct IngestSettings: Sendable {
    public var width: Int
    public var height: Int
    public var decoderThreads: Int
    public var reconnectInitialSeconds: Double
    public var reconnectMaximumSeconds: Double
    public var ioTimeoutMs: Int

    public init(
        width: Int, height: Int, decoderThreads: Int = 1, reconnectInitialSeconds: Double = 0.5,
        reconnectMaximumSeconds: Double = 30, ioTimeoutMs: Int = 5000
    ) {
        self.width = width
        self.height = height
        self.decoderThreads = decoderThreads
        self.reconnectInitialSeconds = reconnectInitialSeconds
        self.reconnectMaximumSeconds = reconnectMaximumSeconds
        self.ioTimeoutMs = ioTimeoutMs
    }
}

import Pipeline

extension StreamLane {
    /// One lane per configured stream, all of run `runID` (what the roster makes, for tests that drive the
    /// scheduler and workers without readers).
    static func lanes(for configuration: Configuration, runID: String = "") -> [StreamLane] {
        configuration.streams.indices.map { StreamLane(for: configuration, index: $0, runID: runID) }
    }
}

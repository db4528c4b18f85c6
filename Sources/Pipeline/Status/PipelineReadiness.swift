import AnalyticsCore
import Kafka
import Messages
import Synchronization
import VideoIngest

/// What the pipeline's `/readyz` reports: the detector is loaded, enough streams deliver frames
/// (`pipeline.ready_max_streams_down` may be down), and Kafka's cluster answers. Made before anything starts (the
/// endpoint answers "starting" meanwhile); the service attaches its readers and sinks when it runs.
public final class PipelineReadiness: Sendable {
    public enum Detector: Sendable, Equatable {
        /// No `model.path`: frames are published without tracks, nothing to load.
        case notConfigured
        case loading
        case ready
        case failed(String)
    }

    private struct State {
        var detector: Detector
        var roster: StreamRoster?
        var sinks: [any ResultSink] = []
        var fleet: FleetMember?
    }

    private let state: Mutex<State>
    private let streamIDs: [String]
    private let maxStreamsDown: Int

    public init(configuration: Configuration) {
        streamIDs = configuration.streams.map(\.id)
        maxStreamsDown = configuration.pipeline.readyMaxStreamsDown
        state = Mutex(State(detector: configuration.model.path == nil ? .notConfigured : .loading))
    }

    public func setDetector(_ detector: Detector) {
        state.withLock { $0.detector = detector }
    }

    func attach(roster: StreamRoster, sinks: [any ResultSink], fleet: FleetMember?) {
        state.withLock {
            $0.roster = roster
            $0.sinks = sinks
            $0.fleet = fleet
        }
    }

    /// The readers of the streams running here (all configured streams, or this instance's share of the fleet).
    private var runningReaders: [StreamReader] {
        state.withLock { $0.roster?.readers.compactMap { $0 } ?? [] }
    }

    /// Why each stream that is not delivering frames is down (its source's last error), by stream id.
    public func sourceReasons() -> [String: String] {
        let (readers, fleet) = (runningReaders, state.withLock { $0.fleet })
        var reasons: [String: String] = [:]
        if fleet != nil {
            // The embedded board shows only this instance's share; the standalone dashboard shows the fleet.
            let here = Set(readers.map(\.stream.id))
            for id in streamIDs where !here.contains(id) {
                reasons[id] = "runs on another instance of the fleet (the standalone dashboard shows them all)"
            }
        }
        for reader in readers where reader.health.state != .online && reader.health.state != .ended {
            if let error = reader.health.lastError { reasons[reader.stream.id] = error }
        }
        return reasons
    }

    /// The readers' states as they are now.
    public func report() -> ReadinessReport {
        let (detector, started, sinks, fleet) = state.withLock { ($0.detector, $0.roster != nil, $0.sinks, $0.fleet) }
        let readers = runningReaders
        var problems: [String] = []
        switch detector {
        case .notConfigured, .ready: break
        case .loading: problems.append("detector: the model is still being compiled")
        case .failed(let reason): problems.append("detector: \(reason)")
        }
        let streams: [ReadinessReport.Stream]
        if !started {
            streams = streamIDs.map { .init(id: $0, state: "connecting", reason: "the pipeline is starting") }
            if !streamIDs.isEmpty { problems.append("streams: the pipeline is starting") }
        } else {
            streams = readers.map { reader in
                let state = reader.health.state
                let reason = state == .online || state == .ended ? nil : reader.health.lastError
                return .init(id: reader.stream.id, state: state.description, reason: reason)
            }
            let down = streams.filter { $0.state != "online" && $0.state != "ended" }
            if down.count > maxStreamsDown {
                let names = down.prefix(5).map(\.id).joined(separator: ", ") + (down.count > 5 ? ", …" : "")
                problems.append(
                    "streams: \(down.count) of \(streams.count) are not delivering frames (\(names)); at most \(maxStreamsDown) may be (pipeline.ready_max_streams_down)"
                )
            }
        }
        if let fleet { problems += fleet.problems }
        for sink in sinks { problems += sink.problems }
        return ReadinessReport(
            problems: problems, streams: streams, fleet: fleet?.summary(runningStreams: readers.count))
    }
}

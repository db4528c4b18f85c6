import AnalyticsCore
import Logging
import RuntimeSupport
import Synchronization

/// What the pipeline's services share: the scheduler, the roster, the sinks, the fleet member, and how the run is
/// ending (every source played to its end, or a signal), told by the streams service to the ones that stop after it.
final class PipelineRun: Sendable {
    let configuration: Configuration
    let runID: String
    let scheduler: FrameScheduler
    let roster: StreamRoster
    let sink: SinkFanout
    let member: FleetMember?
    let logger: Logger
    let clock: ServiceClock

    enum Ending: Sendable, Equatable {
        case running
        /// Every file source has ended: the frames in hand are analysed before the sinks flush.
        case sourcesEnded(atNs: UInt64)
        /// Stopped (a signal, or another service ended the group): what waits is discarded.
        case stopped(atNs: UInt64)
    }
    private let ending = Mutex<Ending>(.running)

    init(
        configuration: Configuration, runID: String, scheduler: FrameScheduler, roster: StreamRoster,
        sink: SinkFanout, member: FleetMember?, logger: Logger, clock: ServiceClock
    ) {
        self.configuration = configuration
        self.runID = runID
        self.scheduler = scheduler
        self.roster = roster
        self.sink = sink
        self.member = member
        self.logger = logger
        self.clock = clock
    }

    /// Records how the run ends (the first call wins) and returns it.
    @discardableResult
    func end(sourcesEnded: Bool) -> Ending {
        let now = clock.uptimeNanoseconds
        return ending.withLock { state in
            if state == .running { state = sourcesEnded ? .sourcesEnded(atNs: now) : .stopped(atNs: now) }
            return state
        }
    }

    /// How the run ends; a service asked to stop before the streams said anything treats it as stopped.
    var howItEnds: Ending { end(sourcesEnded: false) }

    /// Seconds since the run began to end.
    var secondsSinceEnding: Double {
        switch howItEnds {
        case .running: 0
        case .sourcesEnded(let at), .stopped(let at): Double(clock.uptimeNanoseconds &- at) / 1e9
        }
    }
}

import AnalyticsCore
import Foundation
import Logging
import Messages
import Metrics
import RuntimeSupport
import ServiceLifecycle
import Synchronization
import VideoIngest

/// The pipeline process's services, in the order they start; its service group shuts them down in reverse, each
/// after the one before it has returned: the status line and metrics sampler, then the streams (a fleet member leaves
/// its group first; the readers stop and are joined), then the analysis (the frames in hand finished or dropped, the
/// workers awaited), then the sinks (flushed, the accounting logged). The streams service ends the group by itself
/// when every file source has ended.
public struct PipelineService {
    public let configuration: Configuration
    /// This start's identity, carried in every message (`RunID`).
    public let runID: String
    /// The services for the process's `ServiceGroup`, in order.
    public let services: [ServiceGroupConfiguration.ServiceConfiguration]

    /// This process among the fleet's instances: host name (a Kubernetes pod's name) and process id.
    static var instanceName: String { "\(ProcessInfo.processInfo.hostName)/\(getpid())" }

    /// The process's graceful shutdown at most (`pipeline.shutdown_grace_s`): then its service group cancels what
    /// is left.
    public var shutdownGrace: Duration { .seconds(configuration.pipeline.shutdownGraceSeconds) }

    /// `sinks` are usually `makeSinks(configuration)`; the sinks service closes them when it stops. Throws a one-line
    /// reason when the fleet member cannot start.
    public init(
        configuration: Configuration, sinks: [any ResultSink], logger: Logger,
        makeAnalyzer: @escaping @Sendable (Int) -> any FrameAnalyzer = { _ in NoDetectionAnalyzer() },
        runID: String? = nil, readiness: PipelineReadiness? = nil, clock: ServiceClock = .system
    ) throws {
        self.configuration = configuration
        let runID = runID ?? RunID.make(startedAtMs: clock.wallMilliseconds)
        self.runID = runID
        let streams = configuration.streams
        let pipeline = configuration.pipeline
        if sinks.isEmpty {
            logger.warning(
                "no output is enabled, so results are discarded; set kafka.enabled, output.jsonl.enabled or dashboard.enabled in the config"
            )
        }
        let sink = SinkFanout(sinks)
        // Activity weighting for live sources only: a file read as fast as possible analyses every frame it delivers.
        // Each stream's lane (tracker, zones, previews) is installed by the roster when the stream starts.
        let scheduler = FrameScheduler(
            detectFPS: streams.map { $0.detectFPS ?? pipeline.detectFPS },
            idleCheckSeconds: streams.map { $0.source.isFile && !$0.realtime ? 0 : pipeline.idleCheckSeconds })
        let fleet = configuration.fleet
        let roster = StreamRoster(
            configuration: configuration, scheduler: scheduler, logger: logger,
            instance: fleet.enabled ? Self.instanceName : nil, clock: clock)
        let workerCount = AnalysisStage.workerCount(configuration)
        logger.info(
            "pipeline starting",
            metadata: [
                "run_id": "\(runID)",
                "streams": "\(streams.count)", "workers": "\(workerCount)",
                "working_size": "\(pipeline.width)x\(pipeline.height == 0 ? "auto" : String(pipeline.height))",
                "detect_fps": "\(pipeline.detectFPS)", "outputs": "\(sink.name.isEmpty ? "none" : sink.name)",
                "kafka":
                    "\(configuration.kafka.enabled ? "\(configuration.kafka.bootstrapServers) topic \(configuration.kafka.topic)" : "off")",
                "fleet": "\(fleet.enabled ? "group \(fleet.group) on \(fleet.assignmentTopic)" : "off")",
            ])
        // Fleet mode: the group's assignment starts and stops streams; otherwise every stream runs from the start.
        let member: FleetMember?
        if fleet.enabled {
            do {
                member = try FleetMember(configuration: configuration, roster: roster, logger: logger)
            } catch {
                throw SinkError(description: "fleet: \(error); check the fleet and kafka sections of the configuration")
            }
        } else {
            member = nil
        }
        readiness?.attach(roster: roster, sinks: sink.sinks, fleet: member)
        let run = PipelineRun(
            configuration: configuration, runID: runID, scheduler: scheduler, roster: roster, sink: sink,
            member: member, logger: logger, clock: clock)
        services = [
            .init(service: SinksService(run: run)),
            .init(
                service: AnalysisService(
                    run: run, workers: AnalysisWorkers(count: workerCount, scheduler: scheduler, sink: sink),
                    makeAnalyzer: makeAnalyzer)),
            // The streams return by themselves when every file source has ended (files without loop).
            .init(service: StreamsService(run: run), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: StatusService(run: run)),
        ]
    }

    /// Builds the configured sinks. Throws a one-line reason when one cannot start.
    public static func makeSinks(_ configuration: Configuration, logger: Logger) throws -> [any ResultSink] {
        var sinks: [any ResultSink] = []
        if configuration.kafka.enabled {
            do {
                sinks.append(try KafkaSink(configuration: configuration, logger: logger))
            } catch {
                throw SinkError(description: "kafka: \(error); check the kafka section of the configuration")
            }
        }
        if configuration.output.jsonlEnabled {
            sinks.append(
                try JSONLinesSink(
                    path: configuration.output.jsonlPath, capacity: configuration.output.jsonlQueueCapacity,
                    logger: logger))
        }
        return sinks
    }
}

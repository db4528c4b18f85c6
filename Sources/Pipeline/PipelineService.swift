import AnalyticsCore
import Foundation
import Logging
import Messages
import Metrics
import RuntimeSupport
import ServiceLifecycle
import Synchronization
import VideoIngest

/// The pipeline process: a reader per stream, the scheduler, analysis workers and sinks, run until SIGINT/SIGTERM
/// (or until every file source has ended), then stopped within a few seconds.
public struct PipelineService: Service {
    public let configuration: Configuration
    private let logger: Logger
    private let makeAnalyzer: @Sendable (Int) -> any FrameAnalyzer
    private let sinks: [any ResultSink]
    /// This start's identity, carried in every message (`RunID`).
    public let runID: String
    /// Told the readers and sinks when the service runs (for `/readyz`).
    private let readiness: PipelineReadiness?
    private let clock: ServiceClock

    /// This process among the fleet's instances: host name (a Kubernetes pod's name) and process id.
    static var instanceName: String { "\(ProcessInfo.processInfo.hostName)/\(getpid())" }

    /// Seconds the shutdown sequence may take in all; stays under the 5 s users are promised.
    static let shutdownBudgetSeconds = 4.0
    /// The process's graceful shutdown at most: then its service group cancels what is left.
    public static let shutdownGrace: Duration = .seconds(5)

    /// `sinks` are usually `makeSinks(configuration)`; the service closes them when it stops.
    public init(
        configuration: Configuration, sinks: [any ResultSink], logger: Logger,
        makeAnalyzer: @escaping @Sendable (Int) -> any FrameAnalyzer = { _ in NoDetectionAnalyzer() },
        runID: String? = nil, readiness: PipelineReadiness? = nil, clock: ServiceClock = .system
    ) {
        self.readiness = readiness
        self.clock = clock
        self.configuration = configuration
        self.runID = runID ?? RunID.make(startedAtMs: clock.wallMilliseconds)
        self.logger = logger
        self.sinks = sinks
        self.makeAnalyzer = makeAnalyzer
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

    public func run() async throws {
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
        let workers = AnalysisWorkers(count: workerCount, scheduler: scheduler, sink: sink)

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
        let workerThreads = workers.start(makeAnalyzer: makeAnalyzer)
        // Fleet mode: the group's assignment starts and stops streams; otherwise every stream runs from the start.
        let member: FleetMember?
        if fleet.enabled {
            do {
                member = try FleetMember(configuration: configuration, roster: roster, logger: logger)
            } catch {
                scheduler.stop()
                throw SinkError(description: "fleet: \(error); check the fleet and kafka sections of the configuration")
            }
        } else {
            member = nil
            roster.start(streams.indices, runID: runID)
        }
        readiness?.attach(roster: roster, sinks: sink.sinks, fleet: member)

        // The status line and the metrics sampler are children of this service: they end with it.
        await withDiscardingTaskGroup { tickers in
            tickers.addTask { [clock] in
                await Self.reportStatus(
                    every: pipeline.statusIntervalSeconds, roster: roster, scheduler: scheduler, sink: sink,
                    fleet: member, clock: clock)
            }
            tickers.addTask { [clock] in
                let metrics = PipelineMetrics(streamIDs: streams.map(\.id), sinks: sink.sinks)
                while !Task.isCancelled {
                    metrics.sample(readers: roster.readers, scheduler: scheduler)
                    try? await clock.sleep(for: .seconds(1))
                }
            }
            await stop(roster: roster, member: member, scheduler: scheduler, workers: workerThreads, sink: sink)
            tickers.cancelAll()
        }
        let totals = scheduler.counters().reduce(into: FrameScheduler.Counters(delivered: 0, dropped: 0, completed: 0))
        {
            $0.delivered += $1.delivered
            $0.dropped += $1.dropped
            $0.completed += $1.completed
        }
        var summary: Logger.Metadata = [
            "run_id": "\(runID)",
            "decoded": "\(totals.delivered)", "analysed": "\(totals.completed)", "not_analysed": "\(totals.dropped)",
        ]
        for output in sink.sinks {
            let counters = output.counters
            summary["\(output.name)"] =
                "\(counters.accepted) produced = \(counters.written) written + \(counters.failed) failed + \(counters.dropped) dropped + \(counters.pending) pending"
            summary.merge(output.summary) { _, sinks in sinks }
        }
        logger.info("pipeline stopped", metadata: summary)
    }

    /// Runs until a signal (or, without a fleet, until every file source has ended), then stops in order: the fleet
    /// leave, the readers, the frames in hand, the workers, the sinks' flush, within `shutdownBudgetSeconds` when
    /// stopped by a signal.
    private func stop(
        roster: StreamRoster, member: FleetMember?, scheduler: FrameScheduler, workers: [DedicatedThread],
        sink: SinkFanout
    ) async {
        let stoppedBySignal: Bool
        if let member {
            // Runs until stopped; leaving the group first hands this instance's streams to the others at once.
            try? await gracefulShutdown()
            stoppedBySignal = true
            logger.info("leaving the fleet")
            let leave = DedicatedThreads.process.start(named: "fleet leave") { member.leave() }
            if !(await leave.finished(within: .seconds(2), clock: clock)) {
                logger.warning("the group leave did not finish within 2 s (the broker may be stuck in a rebalance)")
            }
            await runOnDedicatedThread(named: "stop streams") { roster.stopAll(waitingAtMost: 1) }
        } else {
            let signalled = SignalFlag()
            await withTaskCancellationOrGracefulShutdownHandler {
                await roster.allEnded.wait()
            } onCancelOrGracefulShutdown: {
                signalled.set()
                for reader in roster.readers { reader?.stop() }
            }
            stoppedBySignal = signalled.isSet
        }

        // Every reader has stopped (or every file ended). Finish the frames in hand, then flush the sinks.
        let started = clock.now
        if stoppedBySignal {
            logger.info("shutting down")
            scheduler.stop()
        } else {
            logger.info("all sources ended; finishing")
            scheduler.drainAndFinish()
        }
        let workersLimit: Duration = stoppedBySignal ? .seconds(2) : .seconds(30)
        for worker in workers {
            let remaining = workersLimit - started.duration(to: clock.now)
            if !(await worker.finished(within: max(.zero, remaining), clock: clock)) {
                logger.warning("analysis workers did not finish in time; exiting anyway")
                scheduler.stop()
                break
            }
        }
        let remaining = max(0.5, Self.shutdownBudgetSeconds - started.duration(to: clock.now).seconds)
        await runOnDedicatedThread(named: "sink close") { sink.close(waitingAtMost: remaining) }
    }

    // MARK: Status

    /// Per-stream figures between two counter snapshots taken `seconds` apart, for the streams running here.
    private static func statuses(
        readers: [StreamReader?], counters: [FrameScheduler.Counters], previous: [FrameScheduler.Counters],
        seconds: Double
    ) -> [StreamStatus] {
        readers.enumerated().compactMap { index, reader in
            guard let reader else { return nil }
            let now = counters[index]
            let before = previous[index]
            return StreamStatus(
                id: reader.stream.id, state: reader.health.state,
                decodedFPS: Double(now.delivered - before.delivered) / seconds,
                analysedFPS: Double(now.completed - before.completed) / seconds,
                dropped: now.dropped, lastError: reader.health.lastError)
        }
    }

    private static func reportStatus(
        every interval: Double, roster: StreamRoster, scheduler: FrameScheduler, sink: SinkFanout,
        fleet: FleetMember?, clock: ServiceClock
    ) async {
        guard interval > 0 else { return }
        var previous = scheduler.counters()
        var last = clock.now
        while !Task.isCancelled {
            try? await clock.sleep(for: .seconds(interval))
            if Task.isCancelled { return }
            let now = clock.now
            let seconds = last.duration(to: now).seconds
            let counters = scheduler.counters()
            let statuses = statuses(
                readers: roster.readers, counters: counters, previous: previous, seconds: seconds)
            previous = counters
            last = now
            var line = StatusLine.render(streams: statuses, sinks: sink.sinks.map { ($0.name, $0.counters) }) + "\n"
            if let fleet { line = fleet.summary(runningStreams: statuses.count) + "\n" + line }
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

/// A flag set from a shutdown handler and read afterwards.
private final class SignalFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

import AnalyticsCore
import Foundation
import Logging
import RuntimeSupport
import ServiceLifecycle
import VideoIngest

/// The readers: every stream from the start, or in fleet mode the ones the group assigns. Returns by itself when
/// every file source has ended (the group then shuts down); on shutdown a fleet member leaves its group first (its
/// streams move to the other instances at once), then the readers stop and are joined.
struct StreamsService: Service {
    let run: PipelineRun

    func run() async throws {
        let (roster, logger, clock) = (run.roster, run.logger, run.clock)
        if let member = run.member {
            try? await gracefulShutdown()
            run.end(sourcesEnded: false)
            logger.info("leaving the fleet")
            let leave = DedicatedThreads.process.start(named: "fleet leave") { member.leave() }
            if !(await leave.finished(within: .seconds(2), clock: clock)) {
                logger.warning("the group leave did not finish within 2 s (the broker may be stuck in a rebalance)")
            }
            await runOnDedicatedThread(named: "stop streams") { roster.stopAll(waitingAtMost: 1) }
            return
        }
        roster.start(run.configuration.streams.indices, runID: run.runID)
        await withTaskCancellationOrGracefulShutdownHandler {
            await roster.allEnded.wait()
        } onCancelOrGracefulShutdown: {
            self.run.end(sourcesEnded: false)
            for reader in roster.readers { reader?.stop() }
        }
        // Ended by itself unless the shutdown handler said otherwise first.
        run.end(sourcesEnded: true)
        switch run.howItEnds {
        case .sourcesEnded: logger.info("all sources ended; finishing")
        default: logger.info("shutting down")
        }
    }
}

/// The analysis workers: their threads start with the service; on shutdown the frames in hand are finished (every
/// source ended: all of them, within 30 s) or dropped (stopped: the ones being analysed, within 2 s), and the threads
/// are awaited.
struct AnalysisService: Service {
    let run: PipelineRun
    let workers: AnalysisWorkers
    let makeAnalyzer: @Sendable (Int) -> any FrameAnalyzer

    func run() async throws {
        let threads = workers.start(makeAnalyzer: makeAnalyzer)
        try? await gracefulShutdown()
        let scheduler = run.scheduler
        let limit: Duration
        if case .sourcesEnded = run.howItEnds {
            scheduler.drainAndFinish()
            limit = .seconds(30)
        } else {
            scheduler.stop()
            limit = .seconds(2)
        }
        let started = run.clock.now
        for thread in threads {
            let remaining = max(.zero, limit - started.duration(to: run.clock.now))
            if !(await thread.finished(within: remaining, clock: run.clock)) {
                run.logger.warning("analysis workers did not finish in time; exiting anyway")
                scheduler.stop()
                break
            }
        }
    }
}

/// The sinks: on shutdown (the last service to stop) they flush within what is left of `pipeline.shutdown_grace_s`,
/// and the run's accounting is logged.
struct SinksService: Service {
    let run: PipelineRun

    func run() async throws {
        try? await gracefulShutdown()
        let sink = run.sink
        // The grace less a second for what follows (the accounting line, the threads' check).
        let budget = run.configuration.pipeline.shutdownGraceSeconds - 1
        let remaining = max(0.5, budget - run.secondsSinceEnding)
        await runOnDedicatedThread(named: "sink close") { sink.close(waitingAtMost: remaining) }
        let totals = run.scheduler.counters().reduce(
            into: FrameScheduler.Counters(delivered: 0, dropped: 0, completed: 0)
        ) {
            $0.delivered += $1.delivered
            $0.dropped += $1.dropped
            $0.completed += $1.completed
        }
        var summary: Logger.Metadata = [
            "run_id": "\(run.runID)",
            "decoded": "\(totals.delivered)", "analysed": "\(totals.completed)", "not_analysed": "\(totals.dropped)",
        ]
        for output in sink.sinks {
            let counters = output.counters
            summary["\(output.name)"] =
                "\(counters.accepted) produced = \(counters.written) written + \(counters.failed) failed + \(counters.dropped) dropped + \(counters.pending) pending"
            summary.merge(output.summary) { _, sinks in sinks }
        }
        run.logger.info("pipeline stopped", metadata: summary)
    }
}

/// The status line (every `pipeline.status_interval_s`) and the metrics sampler (every second), until shutdown.
struct StatusService: Service {
    let run: PipelineRun

    func run() async throws {
        let run = self.run
        await withDiscardingTaskGroup { tickers in
            tickers.addTask { await Self.reportStatus(run) }
            tickers.addTask {
                let metrics = PipelineMetrics(
                    streamIDs: run.configuration.streams.map(\.id), sinks: run.sink.sinks)
                while !Task.isCancelled {
                    metrics.sample(readers: run.roster.readers, scheduler: run.scheduler)
                    try? await run.clock.sleep(for: .seconds(1))
                }
            }
            try? await gracefulShutdown()
            tickers.cancelAll()
        }
    }

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

    private static func reportStatus(_ run: PipelineRun) async {
        let interval = run.configuration.pipeline.statusIntervalSeconds
        guard interval > 0 else { return }
        let (scheduler, clock) = (run.scheduler, run.clock)
        var previous = scheduler.counters()
        var last = clock.now
        while !Task.isCancelled {
            try? await clock.sleep(for: .seconds(interval))
            if Task.isCancelled { return }
            let now = clock.now
            let seconds = last.duration(to: now).seconds
            let counters = scheduler.counters()
            let statuses = statuses(
                readers: run.roster.readers, counters: counters, previous: previous, seconds: seconds)
            previous = counters
            last = now
            var line =
                StatusLine.render(streams: statuses, sinks: run.sink.sinks.map { ($0.name, $0.counters) }) + "\n"
            if let fleet = run.member { line = fleet.summary(runningStreams: statuses.count) + "\n" + line }
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

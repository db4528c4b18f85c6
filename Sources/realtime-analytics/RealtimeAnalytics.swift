import AnalyticsCore
import ArgumentParser
import CommandLineSupport
import Dashboard
import Foundation
import Kafka
import Logging
import Messages
import Metrics
import Pipeline
import Prometheus
import RuntimeSupport
import ServiceLifecycle
import VideoIngest

@main
struct RealtimeAnalytics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "realtime-analytics",
        abstract: "Real-time multi-camera video analytics: decode streams, detect and track objects, publish results.",
        version: "\(ProductVersion.description), librdkafka \(KafkaLibrary.version)",
        subcommands: [
            Run.self, Validate.self, Consume.self, Events.self, ArchiveCommand.self, AlertsCommand.self, Report.self,
            TrackMOT.self,
        ],
        defaultSubcommand: Run.self
    )
}

/// Prints a configuration error as one line on stderr and exits with status 2 (no usage text, no stack trace).
enum ConfigurationExit {
    /// librdkafka checks the producer properties (the defaults, the typed keys and `kafka.properties`).
    static func validateKafka(_ configuration: Configuration, file: String) throws(ConfigurationError) {
        // The dashboard and `consume` use kafka.properties too: check them whenever there are any.
        guard configuration.kafka.enabled || configuration.fleet.enabled || !configuration.kafka.properties.isEmpty
        else { return }
        do {
            try KafkaSink.producerProperties(configuration.kafka).validate()
        } catch {
            throw ConfigurationError(file: file, line: nil, path: "kafka.properties", message: error.description)
        }
    }

    static func exit(_ error: ConfigurationError) -> Never {
        let lines = error.all.map { "configuration error: \($0)\n" }.joined()
        FileHandle.standardError.write(Data(lines.utf8))
        Foundation.exit(2)
    }
}

extension RealtimeAnalytics {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the pipeline on every configured stream until SIGINT or SIGTERM.")

        @OptionGroup var options: CommonOptions

        func run() async throws {
            let configuration: Configuration
            do {
                configuration = try Configuration.load(path: options.config)
                try configuration.validateForPipeline(file: options.config)
                try ConfigurationExit.validateKafka(configuration, file: options.config)
            } catch {
                ConfigurationExit.exit(error)
            }
            options.bootstrapLogging()
            // A reader of our stdout going away must be an error we report, not a signal that kills the process.
            signal(SIGPIPE, SIG_IGN)
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            // Buckets fitted to what each histogram measures (the default's 5 ms to 10 s suits none of the first).
            factory.durationHistogramBuckets["pipeline_tracker_seconds"] =
                [5, 10, 20, 50, 100, 200, 500, 1000, 5000].map { Duration.microseconds($0) }
            factory.durationHistogramBuckets["pipeline_detector_seconds"] =
                [10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000].map { Duration.milliseconds($0) }
            for label in [
                "pipeline_frame_queue_wait_seconds", "pipeline_capture_to_publish_seconds",
                "pipeline_capture_to_delivery_seconds",
            ] {
                factory.durationHistogramBuckets[label] =
                    [10, 25, 50, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000].map {
                        Duration.milliseconds($0)
                    }
            }
            MetricsSystem.bootstrap(factory)
            let logger = Logger(label: "realtime-analytics")
            FFmpegLog.install(logger: logger)
            let analysis: AnalysisStage
            do {
                // Compiling the model and warming up every request blocks for a second or two: not on the pool.
                analysis = try await runOnDedicatedThread(named: "detector set-up") {
                    Result { try AnalysisStage(configuration: configuration, logger: logger) }
                }.get()
                if let model = analysis.model {
                    logger.info(
                        "detector ready",
                        metadata: [
                            "model": "\(configuration.model.path ?? "")", "device": "\(configuration.model.device)",
                            "input": "\(configuration.model.inputSize) \(configuration.model.resize.rawValue)",
                            "workers": "\(analysis.workerCount)", "openvino": "\(model.compiled.runtimeVersion)",
                        ])
                }
            } catch {
                FileHandle.standardError.write(Data("error: model: \(error)\n".utf8))
                throw ExitCode(1)
            }
            let readiness = PipelineReadiness(configuration: configuration)
            if analysis.model != nil { readiness.setDetector(.ready) }
            var sinks: [any ResultSink]
            do {
                sinks = try PipelineService.makeSinks(configuration, logger: logger)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            // Embedded dashboard: the same page, fed in-process (no Kafka needed).
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            if configuration.dashboard.enabled {
                let dashboard = DashboardComponents(
                    configuration: configuration.dashboard, streams: configuration.streams, logger: logger)
                sinks.append(EmbeddedBoardSink(configuration: configuration, publisher: dashboard.publisher))
                let app = try DashboardServer.makeApplication(
                    publisher: dashboard.publisher, configuration: configuration.dashboard,
                    port: configuration.dashboard.port, registry: registry, readiness: { readiness.report() },
                    // Replay reads the topic back: only when this pipeline publishes to one.
                    replay: configuration.kafka.enabled
                        ? ReplaySessions(configuration: configuration.consumer, logger: logger) : nil,
                    logger: logger)
                services.append(.init(service: app))
                services.append(
                    .init(
                        service: BoardTicker(
                            publisher: dashboard.publisher, sourceReasons: { readiness.sourceReasons() })))
                logger.info("dashboard: open http://\(configuration.dashboard.host):\(configuration.dashboard.port)/")
            }
            if configuration.metrics.enabled {
                services.append(
                    .init(
                        service: MetricsEndpoint.makeApplication(
                            registry: registry, host: configuration.metrics.host, port: configuration.metrics.port,
                            readiness: { readiness.report() }, logger: logger)))
                logger.info("metrics: http://\(configuration.metrics.host):\(configuration.metrics.port)/metrics")
            }
            let pipeline: PipelineService
            do {
                pipeline = try PipelineService(
                    configuration: configuration, sinks: sinks, logger: logger, makeAnalyzer: analysis.makeAnalyzer,
                    readiness: readiness)
            } catch {
                for sink in sinks { sink.close(waitingAtMost: 0) }
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            // The pipeline's services first: the group stops them last, in reverse (status, streams, analysis,
            // sinks), once the endpoints are down.
            try await ProcessLifecycle.run(
                pipeline.services + services, grace: pipeline.shutdownGrace, logger: logger)
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file and print a summary, without running anything.")

        @OptionGroup var options: CommonOptions

        @Flag(
            help:
                "Also compile the model and run it once, decode a first frame of every source (10 s each at most, in parallel), and check the output folder and listen addresses."
        )
        var deep = false

        func run() async throws {
            let configuration: Configuration
            do {
                configuration = try Configuration.load(path: options.config)
                try configuration.validateForPipeline(file: options.config)
                try ConfigurationExit.validateKafka(configuration, file: options.config)
            } catch {
                ConfigurationExit.exit(error)
            }
            var sources: [String: Int] = [:]
            for stream in configuration.streams { sources[stream.source.ffmpegURL, default: 0] += 1 }
            print("\(options.config): valid")
            print("  streams: \(configuration.streams.count) over \(sources.count) source(s)")
            for (source, count) in sources.sorted(by: { $0.key < $1.key }) {
                let missing = source.hasPrefix("/") && !FileManager.default.fileExists(atPath: source)
                print("    \(count) x \(source)\(missing ? "  (warning: file not found)" : "")")
            }
            let pipeline = configuration.pipeline
            print(
                "  pipeline: \(pipeline.width)x\(pipeline.height == 0 ? "auto" : String(pipeline.height)), detect_fps \(pipeline.detectFPS), workers \(pipeline.detectorWorkers == 0 ? "auto" : String(pipeline.detectorWorkers))"
            )
            let model = configuration.model
            if let path = model.path {
                let classes =
                    model.classes.isEmpty ? "all \(model.labels.count) classes" : model.classes.joined(separator: ", ")
                print(
                    "  model: \(path) (\(model.format.rawValue), \(model.device), \(model.inputSize) \(model.resize.rawValue)), \(classes); tracker \(configuration.tracker.enabled ? "on" : "off")"
                )
            } else {
                print("  model: none (frames are published without tracks)")
            }
            print(
                "  kafka: \(configuration.kafka.enabled ? "enabled, \(configuration.kafka.bootstrapServers) topic \(configuration.kafka.topic)" : "disabled")"
            )
            print("  jsonl: \(configuration.output.jsonlEnabled ? configuration.output.jsonlPath : "disabled")")
            let alerts = configuration.alerts
            print(
                "  alerts: \(alerts.rules.isEmpty ? "no rules" : "\(alerts.rules.count) rules (\(alerts.rules.map(\.name).joined(separator: ", "))) to \(alerts.topic)\(alerts.deliveries.isEmpty ? "" : " and \(alerts.deliveries.map(\.name).joined(separator: ", "))")")"
            )
            let fleet = configuration.fleet
            print(
                "  fleet: \(fleet.enabled ? "group \(fleet.group) on \(fleet.assignmentTopic) (\(fleet.partitions) partitions, \(fleet.assignor.rawValue))" : "off (this instance runs every stream)")"
            )
            guard deep else { return }
            options.bootstrapLogging()
            let problems = await DeepValidation.run(configuration, logger: Logger(label: "realtime-analytics-validate"))
            guard problems.isEmpty else {
                let lines = problems.map { "validate --deep: \($0)\n" }.joined()
                FileHandle.standardError.write(Data(lines.utf8))
                throw ExitCode(1)
            }
            print("  deep: every check passed")
        }
    }
}

// swift-tools-version:6.0
import Foundation
import PackageDescription

/// OpenVINO's libraries, unpacked from the PyPI wheel by scripts/openvino.sh. SwiftPM drops `-rpath` from pkg-config
/// output, so the executables get it here: they find libopenvino_c without LD_LIBRARY_PATH.
let openVINOLibraries = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("runtime/openvino/lib").path
/// librdkafka 2.16, unpacked from the confluent-kafka wheel by scripts/librdkafka.sh; found the same way. With
/// `RDKAFKA=system` (the Makefile) pkg-config names the system's library instead and this folder is not used.
let librdkafkaLibraries = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("runtime/librdkafka/lib").path

let package = Package(
    name: "realtime-analytics",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "realtime-analytics", targets: ["realtime-analytics"]),
        .executable(name: "realtime-analytics-dashboard", targets: ["realtime-analytics-dashboard"]),
        .executable(name: "realtime-analytics-bench", targets: ["realtime-analytics-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // C libraries (Debian packages), one system-library target each.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libavutil libswscale",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev"])]
        ),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        // librdkafka: Debian's headers, the library from the confluent-kafka wheel (scripts/librdkafka.sh writes the
        // pkg-config file the Makefile and scripts put first on PKG_CONFIG_PATH).
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        // OpenVINO from the PyPI wheel (not a Debian package): scripts/openvino.sh writes its pkg-config file, and
        // the Makefile and scripts put it on PKG_CONFIG_PATH.
        .systemLibrary(name: "COpenVINO", pkgConfig: "openvino-c"),
        // The archive's databases through their own C client libraries (Debian packages): SQLite, and libpq for
        // PostgreSQL (a build of a few seconds; postgres-nio would add minutes to every clean build).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // MQTT deliveries of alerts through Eclipse Mosquitto's client library (Debian package).
        .systemLibrary(name: "CMosquitto", pkgConfig: "libmosquitto", providers: [.apt(["libmosquitto-dev"])]),

        // The process's one clock (system or manual), its dedicated threads and its throttled logging: how every
        // module reads time, waits, runs blocking C work off the cooperative pool, and logs a repeating problem.
        .target(name: "RuntimeSupport", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // The wire format at the bottom of the graph: frame results, run identity, the JSON encoder and decoder of
        // frame and event messages, readiness reports. Producers and consumers share it and nothing else.
        .target(name: "Messages", dependencies: ["Tracking", "Zones"]),
        // The configuration file as a document (each section type reads itself, next to the code that uses it), the
        // sections every process reads (kafka, dashboard, streams: `ConsumerConfiguration`).
        .target(
            name: "AnalyticsCore",
            dependencies: [
                "Zones", "RuntimeSupport", .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Frames and their pixels (decoded pictures, I420 buffers) and the one swscale wrapper that converts them.
        .target(name: "VideoFrames", dependencies: ["CFFmpeg"]),
        // FFmpeg readers: one thread per stream, pacing, reconnect with backoff.
        .target(
            name: "VideoIngest",
            dependencies: [
                "RuntimeSupport", "AnalyticsCore", "Messages", "VideoFrames", "CFFmpeg",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Preview images: boxes and labels drawn on a frame, JPEG-encoded (libjpeg-turbo).
        .target(name: "Preview", dependencies: ["Messages", "VideoFrames", "CTurboJPEG", "CFFmpeg"]),
        // Owning Swift types over librdkafka: producer with delivery accounting, consumer as an AsyncSequence.
        .target(
            name: "Kafka",
            dependencies: ["CRdKafka", "RuntimeSupport", .product(name: "Logging", package: "swift-log")],
            linkerSettings: [.unsafeFlags(["-Xlinker", "-rpath", "-Xlinker", librdkafkaLibraries])]
        ),
        // Multi-object tracking: ByteTrack (linear assignment, Kalman filter) and MOTChallenge evaluation.
        .target(name: "Tracking"),
        // Zones and counting lines: occupancy, entries and exits, dwell and line crossings from tracked paths.
        .target(name: "Zones", dependencies: ["Tracking"]),
        // Object detection: OpenVINO inference of YOLO models, pre-processing from I420 frames, box decoding, NMS.
        .target(
            name: "Detection",
            dependencies: ["AnalyticsCore", "RuntimeSupport", "VideoFrames", "Tracking", "COpenVINO", "CFFmpeg"],
            linkerSettings: [.unsafeFlags(["-Xlinker", "-rpath", "-Xlinker", openVINOLibraries])]
        ),
        // Scheduling of frames to workers, sinks, status, and the service that runs it all.
        .target(
            name: "Pipeline",
            dependencies: [
                "RuntimeSupport", "AnalyticsCore", "Messages", "VideoFrames", "VideoIngest", "Kafka", "Preview",
                "Detection", "Tracking",
                "Zones",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The dashboard: stream board, WebSocket fan-out, HTTP API and the page (Resources/), fed by Kafka or in-process.
        .target(
            name: "Dashboard",
            dependencies: [
                "RuntimeSupport", "AnalyticsCore", "ArchiveStore", "Messages", "Kafka", "Zones",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")]
        ),
        // The archive's database: one connection type per database (SQLite, PostgreSQL) behind one protocol, the
        // schema and its migrations, and the read-only queries of `report` and the dashboard's History view.
        .target(name: "ArchiveStore", dependencies: ["CSQLite", "CLibPQ"]),
        // The archive process: a Kafka consumer of both topics that writes rows and offsets in one transaction.
        .target(
            name: "Archive",
            dependencies: [
                "RuntimeSupport", "AnalyticsCore", "ArchiveStore", "Messages", "Kafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Alert rules over the frames topic: the evaluator (inactive → pending → firing → resolved) and the
        // notification it decides. No I/O: a function of the frames and their capture times.
        .target(name: "Alerting", dependencies: ["AnalyticsCore", "Messages", "Zones"]),
        // The alerts process: reads the frames topic, evaluates the rules, delivers each notification (webhook,
        // MQTT, the alerts topic) and checkpoints the rules' state once what came before is delivered.
        .target(
            name: "Alerts",
            dependencies: [
                "RuntimeSupport", "AnalyticsCore", "Alerting", "Messages", "Kafka", "CMosquitto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What both executables' command lines share: the common options and the logging bootstrap.
        .target(
            name: "CommandLineSupport",
            dependencies: [
                "RuntimeSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "realtime-analytics",
            dependencies: [
                "CommandLineSupport",
                "RuntimeSupport", "AnalyticsCore", "Messages", "VideoFrames", "VideoIngest", "Detection", "Pipeline",
                "Kafka",
                "Dashboard", "Archive", "ArchiveStore", "Alerting", "Alerts",
                "Tracking",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "realtime-analytics-dashboard",
            dependencies: [
                "CommandLineSupport",
                "RuntimeSupport", "AnalyticsCore", "ArchiveStore", "Messages", "Dashboard", "Kafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks (`make bench`): figures, not pass/fail.
        .executableTarget(
            name: "realtime-analytics-bench",
            dependencies: [
                "RuntimeSupport", "AnalyticsCore", "Messages", "VideoFrames", "VideoIngest", "Kafka", "Preview",
                "Pipeline", "Tracking",
                "Detection", "CRdKafka",
                "CTurboJPEG",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Helpers the test targets share: locating sample media and the built executables, running processes.
        .target(
            name: "TestSupport",
            dependencies: ["RuntimeSupport", "Kafka", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"),
        .testTarget(
            name: "ArchiveTests",
            dependencies: [
                "Archive", "ArchiveStore", "AnalyticsCore", "RuntimeSupport", "Messages", "Kafka", "TestSupport",
            ]),
        .testTarget(
            name: "AlertsTests",
            dependencies: ["Alerts", "Alerting", "AnalyticsCore", "RuntimeSupport", "Messages", "Kafka", "TestSupport"]),
        .testTarget(name: "AlertingTests", dependencies: ["Alerting", "AnalyticsCore", "Messages", "Zones"]),
        .testTarget(name: "RuntimeSupportTests", dependencies: ["RuntimeSupport", "TestSupport"]),
        // The bus's consumers (alerts, archive) side by side on one run of the pipeline's sample, as processes.
        .testTarget(name: "SampleConsumersTests", dependencies: ["AnalyticsCore", "TestSupport"]),
        .testTarget(name: "AnalyticsCoreTests", dependencies: ["AnalyticsCore", "Zones", "TestSupport"]),
        .testTarget(
            name: "MessagesTests", dependencies: ["Messages", "AnalyticsCore", "Zones", "Tracking", "TestSupport"]),
        .testTarget(name: "VideoFramesTests", dependencies: ["VideoFrames", "CFFmpeg", "TestSupport"]),
        .testTarget(
            name: "VideoIngestTests",
            dependencies: ["Messages", "VideoIngest", "VideoFrames", "AnalyticsCore", "TestSupport"]),
        .testTarget(
            name: "PreviewTests", dependencies: ["Messages", "Preview", "VideoFrames", "AnalyticsCore", "TestSupport"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "RuntimeSupport", "TestSupport"]),
        .testTarget(name: "TrackingTests", dependencies: ["Messages", "Tracking", "AnalyticsCore", "TestSupport"]),
        .testTarget(name: "ZonesTests", dependencies: ["Zones", "Tracking"]),
        .testTarget(
            name: "DetectionTests",
            dependencies: ["Messages", "Detection", "VideoFrames", "VideoIngest", "AnalyticsCore", "TestSupport"]),
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "Dashboard", "Messages", "AnalyticsCore", "RuntimeSupport", "Kafka", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "Messages", "Pipeline", "Detection", "VideoFrames", "VideoIngest", "AnalyticsCore", "Kafka", "Zones",
                "Tracking", "RuntimeSupport", "TestSupport",
            ]),
    ],
    swiftLanguageModes: [.v6]
)

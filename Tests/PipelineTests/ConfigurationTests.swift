import AnalyticsCore
import Detection
import Foundation
import Pipeline
import TestSupport
import Testing
import Zones

@Suite("Configuration", .timeLimit(.minutes(1)))
struct ConfigurationTests {
    @Test("the sample config loads: 32 streams over the sample media, documented defaults")
    func sampleConfigLoads() throws {
        let path = TestEnvironment.packageRoot.appendingPathComponent("config/sample-pipeline.yaml").path
        let configuration = try Configuration.load(path: path)
        #expect(configuration.streams.count == 32)
        #expect(Set(configuration.streams.map(\.id)).count == 32)
        #expect(configuration.streams.first?.id == "vtest-1")
        let samples = TestEnvironment.packageRoot.appendingPathComponent("samples").path
        #expect(configuration.streams.first?.source == .file(path: samples + "/vtest.avi"))
        #expect(configuration.streams.allSatisfy { $0.loop && $0.realtime })
        #expect(configuration.kafka.frameQuality == 75)
        #expect(configuration.model.inputSize == InputSize(width: 416, height: 352))
    }

    @Test("zones and lines: normalised corners, classes, dwell and anchor, shared by every stream of a count group")
    func zonesAndLines() throws {
        let configuration = try Configuration.parse(
            yaml: """
                streams:
                  - id: "gate-{n}"
                    count: 2
                    url: a.mp4
                    zones:
                      - {name: path, polygon: [[0.05, 0.55], [0.95, 0.55], [0.95, 0.98], [0.05, 0.98]], classes: [person], dwell_s: 20}
                    lines:
                      - {name: gate, from: [0.5, 0.3], to: [0.5, 0.95], classes: [person, car], anchor: centre}
                """)
        #expect(configuration.streams.count == 2)
        for stream in configuration.streams {
            #expect(stream.zones.map(\.name) == ["path"] && stream.zones[0].polygon.count == 4)
            #expect(stream.zones[0].dwellSeconds == 20 && stream.zones[0].classes == ["person"])
            #expect(stream.lines.map(\.name) == ["gate"] && stream.lines[0].anchor == .centre)
            #expect(stream.lines[0].from == NormalizedPoint(x: 0.5, y: 0.3))
        }
    }

    @Test(
        "the consumers' view of a file reads kafka, dashboard and streams only: a model and labels not on this host do not stop it; the pipeline's view names them"
    )
    func consumersReadTheirSectionsOnly() throws {
        let yaml = """
            streams:
              - id: dock-1
                url: rtsp://10.0.0.5/stream
                zones:
                  - {name: bay, polygon: [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]], classes: [forklift]}
            model: {path: /opt/models/detector.xml, labels: /opt/models/warehouse.names, batch: 99}
            tracker: {lost_track_s: -1}
            kafka: {bootstrap_servers: "broker-1:9092", topic: dock}
            dashboard: {port: 8099}
            """
        let consumer = try ConsumerConfiguration.parse(yaml: yaml, file: "shared.yaml")
        #expect(consumer.kafka.bootstrapServers == "broker-1:9092" && consumer.kafka.topic == "dock")
        #expect(consumer.dashboard.port == 8099)
        #expect(consumer.streams.map(\.id) == ["dock-1"] && consumer.streams[0].zones[0].classes == ["forklift"])
        do {
            _ = try Configuration.parse(yaml: yaml, file: "shared.yaml")
            Issue.record("the pipeline accepted a model that is not there")
        } catch {
            #expect(
                error.all.map(\.path) == ["streams[0].zones[0].classes", "model.path", "tracker.lost_track_s"],
                "\(error.all.map(\.description))")
        }
        // What the pipeline makes of the same file for its own consumers (the embedded dashboard's replay).
        let pipeline = try Configuration.parse(yaml: "kafka: {topic: dock}\ndashboard: {port: 8099}\n")
        #expect(
            try pipeline.consumer
                == ConsumerConfiguration.parse(yaml: "kafka: {topic: dock}\ndashboard: {port: 8099}\n"))
    }

    @Test("model.input_size: one side for a square input, or [width, height]")
    func inputSize() throws {
        #expect(try Configuration.parse(yaml: "").model.inputSize == .square(416))
        #expect(try Configuration.parse(yaml: "model:\n  input_size: 320\n").model.inputSize == .square(320))
        let rectangular = try Configuration.parse(yaml: "model:\n  input_size: [416, 320]\n").model.inputSize
        #expect(rectangular.width == 416 && rectangular.height == 320 && rectangular.description == "416x320")
    }

    @Test("an empty document gives every default, with kafka's exactly as specified")
    func defaults() throws {
        let configuration = try Configuration.parse(yaml: "")
        let kafka = configuration.kafka
        #expect(kafka.enabled == false)
        #expect(kafka.bootstrapServers == "localhost:9092")
        #expect(kafka.topic == "analytics.events")
        #expect(kafka.lingerMs == 10)
        #expect(kafka.maxBatchSize == 16384)
        #expect(kafka.includeFrames == false)
        #expect(kafka.frameQuality == 75)
        #expect(configuration.streams.isEmpty)
        #expect(configuration.pipeline.width == 640 && configuration.pipeline.height == 0)
        #expect(configuration.dashboard.host == "127.0.0.1")
        let fleet = configuration.fleet
        #expect(!fleet.enabled && fleet.group == "realtime-analytics" && fleet.assignmentTopic == "analytics.fleet")
        #expect(fleet.partitions == 64 && fleet.assignor == .cooperativeSticky && fleet.sessionTimeoutMs == 10_000)
        #expect(throws: ConfigurationError.self) { try configuration.validateForPipeline(file: "x") }
    }

    @Test("count expands one entry into N streams with generated ids; per-stream options are kept")
    func streamExpansion() throws {
        let configuration = try Configuration.parse(
            yaml: """
                streams:
                  - {id: "cam-{n}", count: 3, url: clips/a.mp4, loop: true, realtime: false, include_frames: true, detect_fps: 2}
                  - {id: door, url: "rtsp://10.0.0.5:554/stream1"}
                  - {id: web, url: "https://example.com/live.ts"}
                """, baseDirectory: "/etc/ra")
        #expect(configuration.streams.map(\.id) == ["cam-1", "cam-2", "cam-3", "door", "web"])
        let first = configuration.streams[0]
        #expect(first.source == .file(path: "/etc/ra/clips/a.mp4"))
        #expect(first.loop && !first.realtime && first.includeFrames == true && first.detectFPS == 2)
        #expect(configuration.streams[3].source == .rtsp(url: "rtsp://10.0.0.5:554/stream1"))
        #expect(configuration.streams[3].realtime && configuration.streams[3].includeFrames == nil)
        #expect(configuration.streams[4].source == .http(url: "https://example.com/live.ts"))
    }

    /// Each invalid document, the YAML path its error must name, and a fragment saying what is allowed.
    static let invalidCases: [(yaml: String, path: String, fragment: String)] = [
        ("kafka:\n  frame_qualty: 50\n", "kafka.frame_qualty", "did you mean 'frame_quality'"),
        ("kafka:\n  frame_quality: 0\n", "kafka.frame_quality", "got 0; allowed: an integer from 1 to 100"),
        ("kafka:\n  frame_quality: 101\n", "kafka.frame_quality", "from 1 to 100"),
        ("kafka:\n  frame_quality: high\n", "kafka.frame_quality", "got 'high'"),
        ("kafka:\n  enabled: maybe\n", "kafka.enabled", "allowed: true or false"),
        ("kafka:\n  linger_ms: -1\n", "kafka.linger_ms", "from 0 to 900000"),
        ("kafka:\n  max_batch_size: 0\n", "kafka.max_batch_size", "from 1 to"),
        ("kafka:\n  bootstrap_servers: localhost\n", "kafka.bootstrap_servers", "host:port"),
        ("kafka:\n  topic: \"bad topic!\"\n", "kafka.topic", "letters, digits"),
        ("kafak:\n  enabled: true\n", "kafak", "did you mean 'kafka'"),
        ("archive:\n  url: mysql://db/x\n", "archive.url", "allowed: sqlite:PATH"),
        ("archive:\n  url: \"sqlite:\"\n", "archive.url", "allowed: sqlite:PATH"),
        ("archive:\n  start_at: latest\n", "archive.start_at", "allowed: oldest or newest"),
        ("archive:\n  retention_days: {tracks: 0}\n", "archive.retention_days.tracks", "from 1 to 36500 days"),
        ("archive:\n  retention_days: {event: 3}\n", "archive.retention_days.event", "did you mean 'events'"),
        ("archive:\n  batch_max_messages: 0\n", "archive.batch_max_messages", "from 1 to 100000"),
        ("archive:\n  track_end_s: 0\n", "archive.track_end_s", "from 1 to 86400 s"),
        ("archive:\n  observation: true\n", "archive.observation", "did you mean 'observations'"),
        ("alerts:\n  start_at: latest\n", "alerts.start_at", "allowed: newest or oldest"),
        ("alerts:\n  shutdown_grace_s: 0.5\n", "alerts.shutdown_grace_s", "got 0.5; allowed: a number from 2 to 600 s"),
        ("archive:\n  shutdown_grace_s: 601\n", "archive.shutdown_grace_s", "allowed: a number from 2 to 600 s"),
        ("pipeline:\n  shutdown_grace_s: 1\n", "pipeline.shutdown_grace_s", "got 1; allowed: a number from 2 to 600 s"),
        ("dashboard:\n  shutdown_grace_s: soon\n", "dashboard.shutdown_grace_s", "allowed: a number from 2 to 600 s"),
        ("alerts:\n  rule: []\n", "alerts.rule", "did you mean 'rules'"),
        ("alerts:\n  rules: [{name: a}]\n", "alerts.rules[0].type", "is missing; allowed: occupancy, dwell"),
        ("alerts:\n  rules: [{name: a, type: crowd}]\n", "alerts.rules[0].type", "got 'crowd'; allowed: occupancy"),
        ("alerts:\n  rules: [{type: occupancy, zone: z}]\n", "alerts.rules[0].name", "every rule needs a name"),
        ("alerts:\n  rules: [{name: \"a b\", type: occupancy, zone: z}]\n", "alerts.rules[0].name", "letters, digits"),
        ("alerts:\n  rules: [{name: a, type: occupancy}]\n", "alerts.rules[0].zone", "watches one zone"),
        ("alerts:\n  rules: [{name: a, type: crossings, line: g}]\n", "alerts.rules[0].window_s", "is missing"),
        ("alerts:\n  rules: [{name: a, type: dwell, zone: z}]\n", "alerts.rules[0].min_s", "is missing"),
        (
            "alerts:\n  rules: [{name: a, type: occupancy, zone: z, window_s: 5}]\n", "alerts.rules[0].window_s",
            "does not apply to occupancy rules"
        ),
        (
            "alerts:\n  rules: [{name: a, type: occupancy, zone: z, min_count: 0}]\n", "alerts.rules[0].min_count",
            "from 1 to 10000"
        ),
        (
            "alerts:\n  rules: [{name: a, type: crossings, line: g, window_s: 9, direction: up}]\n",
            "alerts.rules[0].direction", "any, left_to_right or right_to_left"
        ),
        ("alerts:\n  rules: [{name: a, type: presence, zone: z}]\n", "alerts.rules[0].schedule", "is missing"),
        (
            "alerts:\n  rules: [{name: a, type: presence, zone: z, schedule: \"22-6\"}]\n", "alerts.rules[0].schedule",
            "HH:MM-HH:MM"
        ),
        (
            "alerts:\n  rules: [{name: a, type: presence, zone: z, schedule: \"22:00-06:00\", timezone: Mars/Base}]\n",
            "alerts.rules[0].timezone", "an IANA time zone"
        ),
        ("alerts:\n  rules: [{name: a, type: stream_down}]\n", "alerts.rules[0].for_s", "is missing"),
        (
            "alerts:\n  rules: [{name: a, type: stream_down, for_s: 5, severity: high}]\n", "alerts.rules[0].severity",
            "info, warning or critical"
        ),
        (
            "alerts:\n  rules: [{name: a, type: stream_down, for_s: 5, text: \"{camera} down\"}]\n",
            "alerts.rules[0].text", "uses {camera}; allowed placeholders"
        ),
        (
            "alerts:\n  rules: [{name: a, type: stream_down, for_s: 5, deliveries: [pager]}]\n",
            "alerts.rules[0].deliveries", "names 'pager', which alerts.deliveries does not define"
        ),
        (
            "alerts:\n  rules: [{name: a, type: stream_down, for_s: 5}, {name: a, type: stream_down, for_s: 9}]\n",
            "alerts.rules[1].name", "already used by alerts.rules[0]"
        ),
        (
            "alerts:\n  rules: [{name: a, type: stream_down, for_s: 5, repeat_s: 0.5}]\n", "alerts.rules[0].repeat_s",
            "at least 1 s"
        ),
        ("alerts:\n  deliveries: [{name: d, type: email}]\n", "alerts.deliveries[0].type", "allowed: webhook or mqtt"),
        ("alerts:\n  deliveries: [{name: d, type: webhook}]\n", "alerts.deliveries[0].url", "a webhook needs"),
        (
            "alerts:\n  deliveries: [{name: d, type: webhook, url: \"ftp://h/x\"}]\n", "alerts.deliveries[0].url",
            "http:// or https://"
        ),
        (
            "alerts:\n  deliveries: [{name: d, type: webhook, url: \"http://h/x\", topic: t}]\n",
            "alerts.deliveries[0].topic", "does not apply to a webhook delivery"
        ),
        (
            "alerts:\n  deliveries: [{name: d, type: webhook, url: \"http://h/x\", secret_env: NO_SUCH_VARIABLE_SET}]\n",
            "alerts.deliveries[0].secret_env", "which is not set"
        ),
        (
            "alerts:\n  deliveries: [{name: d, type: webhook, url: \"http://h/x\", headers: {Idempotency-Key: x}}]\n",
            "alerts.deliveries[0].headers", "set by the delivery itself"
        ),
        (
            "alerts:\n  deliveries: [{name: d, type: webhook, url: \"http://h/x\", backoff_ms: 900, max_backoff_ms: 100}]\n",
            "alerts.deliveries[0].max_backoff_ms", "below backoff_ms"
        ),
        ("alerts:\n  deliveries: [{name: m, type: mqtt}]\n", "alerts.deliveries[0].host", "needs its broker"),
        (
            "alerts:\n  deliveries: [{name: m, type: mqtt, host: h, qos: 3}]\n", "alerts.deliveries[0].qos",
            "from 0 to 2"
        ),
        (
            "alerts:\n  deliveries: [{name: m, type: mqtt, host: h, topic: \"a/#\"}]\n", "alerts.deliveries[0].topic",
            "MQTT wildcard"
        ),
        (
            "alerts:\n  deliveries: [{name: m, type: mqtt, host: h, topic: \"a/{camera}\"}]\n",
            "alerts.deliveries[0].topic", "allowed placeholders: {stream}"
        ),
        (
            "alerts:\n  deliveries: [{name: m, type: mqtt, host: h}, {name: m, type: mqtt, host: g}]\n",
            "alerts.deliveries[1].name", "already used"
        ),
        (
            "streams:\n  - {id: a, url: a.mp4, zones: [{name: path, polygon: [[0, 0], [1, 0], [1, 1]]}]}\nalerts:\n  rules: [{name: r, type: occupancy, zone: pth}]\n",
            "alerts.rules[0].zone", "no stream this rule watches has a zone of that name (zones there: path)"
        ),
        (
            "streams:\n  - {id: a, url: a.mp4}\nalerts:\n  rules: [{name: r, type: occupancy, zone: z, streams: [\"cam-*\"]}]\n",
            "alerts.rules[0].streams", "matches none of the configured streams"
        ),
        ("streams:\n  - id: a\n    url: ftp://host/x.mp4\n", "streams[0].url", "unsupported scheme 'ftp'"),
        ("streams:\n  - url: a.mp4\n", "streams[0].id", "is missing"),
        ("streams:\n  - id: a\n", "streams[0].url", "is missing"),
        ("streams:\n  - {id: a, url: a.mp4}\n  - {id: a, url: b.mp4}\n", "streams[1].id", "already used by streams[0]"),
        ("streams:\n  - {id: cam, count: 4, url: a.mp4}\n", "streams[0].id", "containing {n}"),
        ("streams:\n  - {id: cam, url: \"rtsp://h/x\", loop: true}\n", "streams[0].loop", "applies to files only"),
        ("streams:\n  - {id: a, url: a.mp4, lop: true}\n", "streams[0].lop", "did you mean 'loop'"),
        ("streams:\n  - {id: \"cam-{n}\", count: 0, url: a.mp4}\n", "streams[0].count", "from 1 to 4096"),
        ("streams: camera\n", "streams", "allowed: a list"),
        ("pipeline:\n  width: 641\n", "pipeline.width", "an even number"),
        ("pipeline:\n  detect_fps: -2\n", "pipeline.detect_fps", "from 0 to 1000"),
        (
            "pipeline:\n  reconnect:\n    initial_backoff_ms: 5000\n    max_backoff_ms: 1000\n",
            "pipeline.reconnect.max_backoff_ms", "at least initial_backoff_ms"
        ),
        ("pipeline:\n  reconect: {}\n", "pipeline.reconect", "did you mean 'reconnect'"),
        ("model:\n  input_size: 400\n", "model.input_size", "a multiple of 32"),
        ("model:\n  input_size: [416, 300]\n", "model.input_size", "[width, height]"),
        ("model:\n  input_size: [416]\n", "model.input_size", "e.g. 416 or [416, 320]"),
        ("tracker:\n  low_threshold: 0.9\n  high_threshold: 0.5\n", "tracker.low_threshold", "at most high_threshold"),
        ("dashboard:\n  port: 70000\n", "dashboard.port", "from 1 to 65535"),
        ("output:\n  jsonl: yes\n", "output.jsonl", "expected a mapping"),
        ("kafka: [1, 2]\n", "kafka", "expected a mapping"),
        ("model:\n  path: no-such-model.xml\n", "model.path", "scripts/model.sh install"),
        ("model:\n  format: yolov9\n", "model.format", "allowed: yolov4, yolov5, yolov8"),
        ("model:\n  resize: crop\n", "model.resize", "allowed: stretch or letterbox"),
        ("model:\n  precision: int4\n", "model.precision", "allowed: f32, bf16 or f16"),
        ("model:\n  classes: [persn]\n", "model.classes", "did you mean 'person'"),
        ("model:\n  classes: [motorcycle]\n", "model.classes", "did you mean 'motorbike'"),
        ("streams:\n  - {id: a, url: \"rtsp:///nohost\"}\n", "streams[0].url", "no host"),
        ("streams:\n  - {id: a, url: \"http:///x\"}\n", "streams[0].url", "no host"),
        ("streams:\n  - {id: a, url: \"rtsp://user:pw@:554/x\"}\n", "streams[0].url", "no host"),
        ("pipeline:\n  ready_max_streams_down: -1\n", "pipeline.ready_max_streams_down", "from 0 to"),
        ("fleet:\n  assignor: sticky\n", "fleet.assignor", "allowed: cooperative-sticky, roundrobin, range"),
        ("fleet:\n  partitions: 0\n", "fleet.partitions", "from 1 to 10000"),
        ("fleet:\n  assignment_topic: \"a b\"\n", "fleet.assignment_topic", "letters, digits"),
        ("fleet:\n  session_timeout_ms: 10\n", "fleet.session_timeout_ms", "from 1000"),
        (
            "fleet:\n  enabled: true\n  assignment_topic: analytics.events\n", "fleet.assignment_topic",
            "a topic of its own"
        ),
        ("fleet:\n  group: \"\"\n", "fleet.group", "is empty"),
        ("flet:\n  enabled: true\n", "flet", "did you mean 'fleet'"),
        (
            "streams:\n  - {id: a, url: a.mp4, zones: [{name: z, polygon: [[0, 0], [1.2, 0], [1, 1]]}]}\n",
            "streams[0].zones[0].polygon[1]", "x and y from 0 to 1"
        ),
        (
            "streams:\n  - {id: a, url: a.mp4, zones: [{name: z, polygon: [[0, 0], [1, 1], [1, 0], [0, 1]]}]}\n",
            "streams[0].zones[0].polygon", "edges 1 and 3 cross"
        ),
        (
            "streams:\n  - {id: a, url: a.mp4, zones: [{name: z, polygon: [[0, 0], [1, 0]]}]}\n",
            "streams[0].zones[0].polygon", "at least 3"
        ),
        (
            "streams:\n  - {id: a, url: a.mp4, zones: [{name: g, polygon: [[0, 0], [1, 0], [1, 1]]}], lines: [{name: g, from: [0, 0], to: [1, 1]}]}\n",
            "streams[0].lines[0].name", "already used by streams[0].zones[0]"
        ),
        (
            "streams:\n  - {id: a, url: a.mp4, lines: [{name: l, from: [0.5, 0.5], to: [0.5, 0.5]}]}\n",
            "streams[0].lines[0].to", "two different ends"
        ),
        (
            "streams:\n  - {id: a, url: a.mp4, lines: [{name: l, from: [0, 0], to: [1, 1], classes: [motorcycle]}]}\n",
            "streams[0].lines[0].classes", "did you mean 'motorbike'"
        ),
        (
            "streams:\n  - {id: a, url: a.mp4, lines: [{name: l, from: [0, 0], to: [1, 1], anchor: feet}]}\n",
            "streams[0].lines[0].anchor", "bottom_centre"
        ),
        (
            "streams:\n  - {id: a, url: a.mp4, zones: [{name: z, polygon: [[0, 0], [1, 0], [1, 1]], dwell: 5}]}\n",
            "streams[0].zones[0].dwell", "did you mean 'dwell_s'"
        ),
        ("model:\n  labels: no-such-labels.txt\n", "model.labels", "one class name per line"),
        ("tracker:\n  lost_track_s: -1\n", "tracker.lost_track_s", "from 0 to 3600"),
        ("metrics:\n  port: 0\n", "metrics.port", "from 1 to 65535"),
        (
            "metrics:\n  enabled: true\n  port: 8080\ndashboard:\n  enabled: true\n", "metrics.port",
            "the embedded dashboard's port"
        ),
        ("metrics:\n  adress: 1\n", "metrics.adress", "allowed here"),
    ]

    @Test(
        "invalid values give one error naming the YAML path, the value and what is allowed",
        arguments: invalidCases.indices)
    func invalidConfiguration(case index: Int) {
        let invalid = Self.invalidCases[index]
        do {
            _ = try Configuration.parse(yaml: invalid.yaml, file: "bad.yaml")
            Issue.record("accepted: \(invalid.yaml)")
        } catch {
            #expect(error.path == invalid.path, "\(error)")
            #expect(error.description.contains(invalid.fragment), "\(error)")
            print("fault: invalid config \(index + 1) of \(Self.invalidCases.count) rejected: \(error)")
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix("bad.yaml:"), "\(error)")
        }
    }

    @Test("broken YAML reports the line")
    func brokenYAML() {
        #expect {
            try Configuration.parse(yaml: "kafka:\n  enabled: true\n   topic: x\n", file: "y.yaml")
        } throws: { error in
            let description = String(describing: error)
            return description.hasPrefix("y.yaml:3:") && description.contains("not valid YAML")
        }
    }

    @Test("key suggestions catch typos but not unrelated words")
    func suggestions() throws {
        for (typo, expected) in [
            ("bootstrap_server", "bootstrap_servers"), ("lingerms", "linger_ms"), ("topc", "topic"),
        ] {
            #expect(throws: ConfigurationError.self) { try Configuration.parse(yaml: "kafka:\n  \(typo): 1\n") }
            do { _ = try Configuration.parse(yaml: "kafka:\n  \(typo): 1\n") } catch {
                #expect(error.message.contains("did you mean '\(expected)'"), "\(error)")
            }
        }
        let unrelated = #expect(throws: ConfigurationError.self) {
            try Configuration.parse(yaml: "kafka:\n  zebra: 1\n")
        }
        #expect(unrelated?.message.contains("unknown key 'zebra'") == true, "\(String(describing: unrelated))")
        #expect(unrelated?.message.contains("did you mean") == false, "\(String(describing: unrelated))")
    }
}

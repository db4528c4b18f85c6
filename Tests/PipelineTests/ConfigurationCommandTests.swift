import Foundation
import TestSupport
import Testing

@Suite("Configuration errors through the real command", .serialized, .timeLimit(.minutes(3)))
struct ConfigurationCommandTests {
    @Test(
        "`realtime-analytics validate` exits 2 with exactly one line for every invalid config",
        arguments: ConfigurationTests.invalidCases.indices)
    func validateCommand(case index: Int) throws {
        let invalid = ConfigurationTests.invalidCases[index]
        let directory = try TestEnvironment.makeTemporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.yaml")
        try invalid.yaml.write(to: file, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"), ["validate", "--config", file.path], timeout: 30)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(invalid.path) && result.stderr.contains(invalid.fragment), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("the pipeline command rejects a bad config the same way, and a missing file too")
    func pipelineCommand() throws {
        let executable = try TestEnvironment.executable("realtime-analytics")
        let missing = try ChildProcess.run(executable, ["--config", "/nonexistent/config.yaml"], timeout: 30)
        #expect(missing.status == 2)
        #expect(
            missing.stderr
                == "configuration error: /nonexistent/config.yaml: the configuration file does not exist; pass an existing YAML file with --config\n"
        )
        let directory = try TestEnvironment.makeTemporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Several problems: all of them in one pass, in file order, one line each.
        let several = directory.appendingPathComponent("several.yaml")
        try """
        streams:
          - {id: a, url: "rtsp:///nohost"}
          - {id: b, url: b.mp4, lop: true}
        model:
          input_size: 400
        kafka:
          frame_quality: 500
        """.write(to: several, atomically: true, encoding: .utf8)
        let manyErrors = try ChildProcess.run(executable, ["validate", "--config", several.path], timeout: 30)
        let reported = manyErrors.stderr.split(separator: "\n")
        #expect(manyErrors.status == 2 && reported.count == 4, "\(manyErrors.stderr)")
        for (line, expected) in zip(
            reported, ["streams[0].url", "streams[1].lop", "model.input_size", "kafka.frame_quality"])
        {
            #expect(line.hasPrefix("configuration error: \(several.path):") && line.contains(expected), "\(line)")
        }
        // kafka.properties are checked even with kafka off: the dashboard and `consume` use them too.
        let properties = directory.appendingPathComponent("properties.yaml")
        try "streams:\n  - {id: a, url: a.mp4}\nkafka: {properties: {compression.type: zip}}\n".write(
            to: properties, atomically: true, encoding: .utf8)
        let badProperty = try ChildProcess.run(executable, ["validate", "--config", properties.path], timeout: 30)
        #expect(
            badProperty.status == 2 && badProperty.stderr.contains("kafka.properties")
                && badProperty.stderr.contains("compression.type"), "\(badProperty.stderr)")
        let folder = try ChildProcess.run(executable, ["--config", directory.path], timeout: 30)
        #expect(
            folder.status == 2 && folder.stderr.contains("the configuration file is a directory"), "\(folder.stderr)")
        let file = directory.appendingPathComponent("empty.yaml")
        try "kafka: {enabled: false}\n".write(to: file, atomically: true, encoding: .utf8)
        let empty = try ChildProcess.run(executable, ["--config", file.path], timeout: 30)
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("streams: no streams configured"), "\(empty.stderr)")
        // /dev/null reads as an empty file (what is missing is named), a Latin-1 file is named as not UTF-8.
        let devNull = try ChildProcess.run(executable, ["validate", "--config", "/dev/null"], timeout: 30)
        #expect(
            devNull.status == 2 && devNull.stderr.contains("streams: no streams configured"), "\(devNull.stderr)")
        let latin1 = directory.appendingPathComponent("latin1.yaml")
        try (Data("streams:\n  - {id: caf".utf8) + [0xE9] + Data(", url: a.mp4}\n".utf8)).write(to: latin1)
        let notUTF8 = try ChildProcess.run(executable, ["validate", "--config", latin1.path], timeout: 30)
        #expect(
            notUTF8.status == 2
                && notUTF8.stderr.hasSuffix("the configuration file is not UTF-8 text; save it as UTF-8\n"),
            "\(notUTF8.stderr)")
    }

    @Test(
        "validate --deep compiles the model, decodes every source once and checks the output folder and listen addresses: all problems, one line each, exit 1"
    )
    func deepValidation() throws {
        let executable = try TestEnvironment.executable("realtime-analytics")
        let directory = try TestEnvironment.makeTemporaryDirectory("deep")
        defer { try? FileManager.default.removeItem(at: directory) }
        let vtest = try TestEnvironment.sample("vtest.avi")
        let model = try TestEnvironment.model("yolov4-tiny-int8.xml")
        let good = directory.appendingPathComponent("good.yaml")
        try """
        streams:
          - {id: "cam-{n}", count: 3, url: "\(vtest)", loop: true}
        model: {path: "\(model)"}
        output: {jsonl: {enabled: true, path: out/results.jsonl}}
        metrics: {enabled: true, port: \(try TestEnvironment.freePort())}
        """.write(to: good, atomically: true, encoding: .utf8)
        let passed = try ChildProcess.run(executable, ["validate", "--deep", "--config", good.path], timeout: 120)
        #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
        #expect(passed.stdout.contains("first frame decoded, 768x576") && passed.stdout.contains("every check passed"))

        // A port that is taken, a file where the output folder should be, a missing camera, a dead RTSP host and a
        // model read with the wrong format.
        let taken = try TestEnvironment.freePort()
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(taken).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0 && listen(listener, 1) == 0)
        try "not a folder".write(to: directory.appendingPathComponent("blocker"), atomically: true, encoding: .utf8)
        let bad = directory.appendingPathComponent("bad.yaml")
        try """
        streams:
          - {id: good, url: "\(vtest)"}
          - {id: gone, url: "\(directory.path)/no-such-camera.mp4"}
          - {id: door, url: "rtsp://127.0.0.1:\(try TestEnvironment.freePort())/stream"}
        model: {path: "\(model)", format: yolov8}
        output: {jsonl: {enabled: true, path: blocker/results.jsonl}}
        metrics: {enabled: true, port: \(taken)}
        """.write(to: bad, atomically: true, encoding: .utf8)
        let failed = try ChildProcess.run(executable, ["validate", "--deep", "--config", bad.path], timeout: 120)
        #expect(failed.status == 1, "\(failed.stdout)\(failed.stderr)")
        let problems = failed.stderr.split(separator: "\n").filter { $0.hasPrefix("validate --deep: ") }
        for fragment in [
            "model: ", "no-such-camera.mp4", "rtsp://127.0.0.1", "output.jsonl.path: ",
            "metrics.host/port: cannot listen",
        ] {
            #expect(problems.contains { $0.contains(fragment) }, "\(fragment) in \(failed.stderr)")
        }
        #expect(problems.count == 5, "\(failed.stderr)")
        #expect(!failed.stderr.contains(" @ 0x"), "FFmpeg's own lines stay out: \(failed.stderr)")
        #expect(failed.stdout.contains("first frame decoded"), "the good source still passes: \(failed.stdout)")
        print("fault: validate --deep on five broken things; held: \(problems.joined(separator: " | "))")
    }

    @Test("validate accepts the sample config and summarises it")
    func validateSample() throws {
        let path = TestEnvironment.packageRoot.appendingPathComponent("config/sample-pipeline.yaml").path
        let result = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"), ["validate", "--config", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("streams: 32"))
        #expect(
            result.stdout.contains("model: ")
                && result.stdout.contains("yolov4-tiny-int8.xml (yolov4, CPU, 416x352 stretch)"), "\(result.stdout)")
    }
}

import AnalyticsCore
import Detection
import Foundation
import TestSupport
import Testing

@Suite("Model configuration", .timeLimit(.minutes(1)))
struct ModelConfigurationTests {
    @Test("an unknown class name in model.classes is a one-line error naming the line, the key and a suggestion")
    func unknownClass() throws {
        let yaml = """
            model:
              classes: [person, car, persn]
            streams:
              - id: a
                url: file.mp4
            """
        func model(_ yaml: String, file: String) throws(ConfigurationError) -> ModelConfiguration {
            let document = try ConfigurationDocument.parse(yaml: yaml, file: file)
            return try ModelConfiguration(
                document.section("model", allowedKeys: ModelConfiguration.keys), baseDirectory: document.baseDirectory)
        }
        do {
            _ = try model(yaml, file: "bad.yaml")
            Issue.record("an unknown class was accepted")
        } catch {
            let message = "\(error)"
            #expect(!message.contains("\n"))
            #expect(message.hasPrefix("bad.yaml:2: model.classes: got 'persn'"), "\(message)")
            #expect(message.contains("did you mean 'person'?"), "\(message)")
        }
        let good = try model(yaml.replacingOccurrences(of: "persn", with: "truck"), file: "ok.yaml")
        #expect(good.classFilter == [0, 2, 7])
    }

    @Test("`realtime-analytics validate` reports it the same way and exits 2")
    func validateCommand() throws {
        let folder = try TestEnvironment.makeTemporaryDirectory("model-config")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("bad.yaml").path
        try """
        model:
          path: missing-model.xml
        streams:
          - id: a
            url: file.mp4
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(
            try TestEnvironment.executable("realtime-analytics"), ["validate", "--config", path])
        #expect(result.status == 2)
        let lines = result.stderr.split(whereSeparator: \.isNewline)
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("bad.yaml:2: model.path:") && result.stderr.contains("scripts/model.sh install"))
    }
}

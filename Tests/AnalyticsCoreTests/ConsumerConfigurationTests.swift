import AnalyticsCore
import Testing

@Suite("Consumer configuration", .timeLimit(.minutes(1)))
struct ConsumerConfigurationTests {
    @Test(
        "the sections a consumer reads are checked as strictly as the pipeline's: every problem, one line each, in file order"
    )
    func problemsInFileOrder() throws {
        let yaml = """
            kafka: {frame_quality: 101}
            dashbaord: {port: 8080}
            dashboard: {start_at: middle}
            streams:
              - {id: a, url: a.mp4}
              - {id: a, url: b.mp4}
            """
        #expect(throws: ConfigurationError.self) { try ConsumerConfiguration.parse(yaml: yaml, file: "c.yaml") }
        do {
            _ = try ConsumerConfiguration.parse(
                yaml: yaml.replacingOccurrences(of: "dashbaord: {port: 8080}\n", with: ""), file: "c.yaml")
            Issue.record("three problems were accepted")
        } catch {
            let lines = error.all.map(\.description)
            #expect(lines.count == 3, "\(lines)")
            #expect(lines[0].hasPrefix("c.yaml:1: kafka.frame_quality: got 101"), "\(lines)")
            #expect(lines[1].hasPrefix("c.yaml:2: dashboard.start_at: got 'middle'"), "\(lines)")
            #expect(lines[2].contains("stream id 'a' is already used by streams[0]"), "\(lines)")
        }
        do {
            _ = try ConsumerConfiguration.parse(yaml: yaml, file: "c.yaml")
        } catch {
            #expect(error.description.contains("unknown key 'dashbaord'; did you mean 'dashboard'?"), "\(error)")
        }
    }

    @Test("sections a consumer does not read are accepted unread, whatever they hold")
    func otherSectionsUnread() throws {
        let consumer = try ConsumerConfiguration.parse(
            yaml: """
                model: {path: /nowhere/model.xml, batch: 0}
                pipeline: {width: 3}
                fleet: {partitions: -1}
                kafka: {topic: t}
                """)
        #expect(consumer.kafka.topic == "t" && consumer.streams.isEmpty)
        #expect(consumer.dashboard == DashboardConfiguration())
    }
}

import Foundation
import TestSupport
import Testing

/// The dashboard is a Kafka consumer and a web server: its binary must not carry the pipeline's video and inference
/// libraries (the package graph keeps Dashboard off Pipeline, Detection and VideoIngest; this checks the result).
@Suite("Dashboard linkage", .timeLimit(.minutes(1)))
struct DashboardLinkageTests {
    @Test("ldd of realtime-analytics-dashboard shows no OpenVINO, FFmpeg or libjpeg-turbo; the pipeline's binary does")
    func dashboardLinksNoPipelineLibraries() throws {
        let heavy = ["libopenvino", "libavcodec", "libavformat", "libswscale", "libturbojpeg"]
        func linked(_ executable: String) throws -> [String] {
            let result = try ChildProcess.run("/usr/bin/ldd", [try TestEnvironment.executable(executable)], timeout: 20)
            try #require(result.status == 0, "ldd failed: \(result.stderr)")
            return heavy.filter { result.stdout.contains($0) }
        }
        #expect(try linked("realtime-analytics-dashboard").isEmpty)
        // The same check on the pipeline proves it can see these libraries at all.
        #expect(try linked("realtime-analytics").count == heavy.count)
    }
}

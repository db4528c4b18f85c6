import Foundation

/// Where the package, its sample media and its built executables are, for tests.
public enum TestEnvironment {
    /// The package root, found from this file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public struct MissingResource: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// A file of `samples/` (made by `scripts/setup.sh`); a missing one fails the test with the fix in the message.
    public static func sample(_ name: String) throws -> String {
        let path = packageRoot.appendingPathComponent("samples").appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw MissingResource(description: "sample media \(path) is missing; run scripts/setup.sh (or make test)")
        }
        return path
    }

    /// A built executable of this package. `REALTIME_ANALYTICS_BIN` overrides the folder (default `.build/debug`).
    public static func executable(_ name: String) throws -> String {
        let folder =
            ProcessInfo.processInfo.environment["REALTIME_ANALYTICS_BIN"]
            ?? packageRoot.appendingPathComponent(".build/debug").path
        let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingResource(description: "\(path) is not built; run `swift build` first (make test does)")
        }
        return path
    }

    /// A file of the bundled model (`models/yolov4-tiny/`, made by `scripts/model.sh install`).
    public static func model(_ name: String) throws -> String {
        let path = packageRoot.appendingPathComponent("models/yolov4-tiny").appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path) else {
            throw MissingResource(description: "model file \(path) is missing; run scripts/setup.sh (or make test)")
        }
        return path
    }

    /// A script of `scripts/`.
    public static func script(_ name: String) -> String {
        packageRoot.appendingPathComponent("scripts").appendingPathComponent(name).path
    }

    /// A new empty folder, removed by the caller with `removeTemporaryDirectory`.
    public static func makeTemporaryDirectory(_ label: String = "test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("realtime-analytics-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MissingResource(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw MissingResource(description: "bind() failed") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

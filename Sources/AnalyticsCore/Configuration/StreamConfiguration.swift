import Foundation
import Zones

/// One video source of `streams:`.
public struct StreamConfiguration: Sendable, Equatable {
    /// Identity of the stream in every message, log line and metric. Unique within a configuration.
    public var id: String
    /// Where the video comes from.
    public var source: VideoSource
    /// Files only: start again from the beginning at the end of the file instead of ending the stream.
    public var loop: Bool
    /// Files only: deliver frames at the file's own rate (by PTS), as a camera would. When false the file is read as
    /// fast as the pipeline takes frames and no frame is dropped (offline processing).
    public var realtime: Bool
    /// Overrides `kafka.include_frames` for this stream.
    public var includeFrames: Bool?
    /// Overrides `pipeline.detect_fps` for this stream.
    public var detectFPS: Double?
    /// Areas and counting lines on this stream's picture (events and counts, see `Zones`).
    public var zones: [ZoneDefinition] = []
    public var lines: [LineDefinition] = []

    public init(
        id: String, source: VideoSource, loop: Bool = false, realtime: Bool = true, includeFrames: Bool? = nil,
        detectFPS: Double? = nil
    ) {
        self.id = id
        self.source = source
        self.loop = loop
        self.realtime = realtime
        self.includeFrames = includeFrames
        self.detectFPS = detectFPS
    }

    public static let keys = [
        "id", "url", "count", "loop", "realtime", "include_frames", "detect_fps", "zones", "lines",
    ]
    static let maximumCount = 4096

    /// Reads `streams:`, each entry's first problem kept in `problems`; ids must be unique across entries.
    /// `labels`: the class names zones and lines may name (nil: not checked, in a process without the model).
    public static func readAll(
        _ document: ConfigurationDocument, labels: [String]?, problems: ConfigurationProblems
    ) -> [StreamConfiguration] {
        var streams: [StreamConfiguration] = []
        problems.attempt { () throws(ConfigurationError) in
            var firstDeclaration: [String: String] = [:]
            for (node, path) in try document.root.sequence("streams") {
                problems.attempt { () throws(ConfigurationError) in
                    let entry = try YAMLSection(node, path: path, file: document.file, allowedKeys: keys)
                    for stream in try read(entry, baseDirectory: document.baseDirectory, labels: labels) {
                        if let earlier = firstDeclaration[stream.id] {
                            throw entry.error(
                                "id", "stream id '\(stream.id)' is already used by \(earlier); ids must be unique")
                        }
                        firstDeclaration[stream.id] = path
                        streams.append(stream)
                    }
                }
            }
        }
        return streams
    }

    /// Reads one list entry, which declares one stream, or `count` streams over one source with ids made from the
    /// `{n}` placeholder (1-based), e.g. `id: "cam-{n}", count: 32`.
    static func read(
        _ section: YAMLSection, baseDirectory: String, labels: [String]?
    ) throws(ConfigurationError) -> [StreamConfiguration] {
        guard section.has("id") else { throw section.error("id", "is missing; every stream needs an id") }
        guard section.has("url") else {
            throw section.error("url", "is missing; give a file path, rtsp://… or http(s)://… URL")
        }
        let idTemplate = try section.string("id", default: "")
        if let bad = idTemplate.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            throw section.error(
                "id",
                "contains the control character U+\(String(bad.value, radix: 16, uppercase: true)); allowed: printable text"
            )
        }
        guard idTemplate.utf8.count <= 200 else {
            throw section.error("id", "is \(idTemplate.utf8.count) bytes long; allowed: at most 200 bytes")
        }
        let url = try section.string("url", default: "")
        let source: VideoSource
        do {
            source = try VideoSource(parsing: url, relativeTo: baseDirectory)
        } catch {
            throw section.error("url", error.reason)
        }
        let count = try section.optionalInt("count", in: 1...maximumCount)
        let loop = try section.bool("loop", default: false)
        let realtime = try section.bool("realtime", default: true)
        if !source.isFile {
            for key in ["loop", "realtime"] where section.has(key) {
                throw section.error(key, "applies to files only; '\(url)' is a live source")
            }
        }
        let includeFrames = try section.optionalBool("include_frames")
        let detectFPS = try section.optionalDouble("detect_fps", in: 0...1000, unit: " frames/s (0 = every frame)")
        let (zones, lines) = try ZoneConfiguration.read(section, labels: labels)

        let ids: [String]
        if let count {
            guard idTemplate.contains("{n}") else {
                throw section.error(
                    "id", "got '\(idTemplate)' with count \(count); allowed: an id containing {n}, e.g. 'cam-{n}'")
            }
            ids = (1...count).map { idTemplate.replacingOccurrences(of: "{n}", with: String($0)) }
        } else {
            guard !idTemplate.contains("{n}") else {
                throw section.error("id", "'\(idTemplate)' uses {n} without count; add count: N or remove {n}")
            }
            ids = [idTemplate]
        }
        return ids.map {
            var stream = StreamConfiguration(
                id: $0, source: source, loop: loop, realtime: source.isFile ? realtime : true,
                includeFrames: includeFrames, detectFPS: detectFPS)
            stream.zones = zones
            stream.lines = lines
            return stream
        }
    }
}

import Foundation

/// Where a stream's video comes from.
public enum VideoSource: Sendable, Equatable, CustomStringConvertible {
    /// A local file, absolute path.
    case file(path: String)
    /// An RTSP camera or server (always read over TCP).
    case rtsp(url: String)
    /// An HTTP(S) stream, e.g. MPEG-TS or MJPEG over HTTP.
    case http(url: String)

    public struct InvalidSource: Error {
        public var reason: String
    }

    /// Parses a `url:` value. Relative file paths are resolved against `baseDirectory` (the config file's folder).
    public init(parsing text: String, relativeTo baseDirectory: String) throws(InvalidSource) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let schemeEnd = trimmed.range(of: "://") {
            let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
            let rest = trimmed[schemeEnd.upperBound...]
            switch scheme {
            case "rtsp", "rtsps":
                guard Self.hasHost(rest) else {
                    throw InvalidSource(reason: "got '\(text)' with no host; use rtsp://host[:port]/path")
                }
                self = .rtsp(url: trimmed)
            case "http", "https":
                guard Self.hasHost(rest) else {
                    throw InvalidSource(reason: "got '\(text)' with no host; use http://host[:port]/path")
                }
                self = .http(url: trimmed)
            case "file":
                guard rest.hasPrefix("/") else {
                    throw InvalidSource(
                        reason: "got '\(text)'; file URLs need an absolute path, e.g. file:///videos/a.mp4")
                }
                self = .file(path: String(rest))
            default:
                throw InvalidSource(
                    reason:
                        "got '\(text)' with unsupported scheme '\(scheme)'; allowed: a file path, rtsp://, rtsps://, http:// or https://"
                )
            }
            return
        }
        guard !trimmed.isEmpty else {
            throw InvalidSource(reason: "is empty; allowed: a file path or rtsp:// / http(s):// URL")
        }
        if trimmed.hasPrefix("/") {
            self = .file(path: trimmed)
        } else {
            self = .file(
                path: URL(fileURLWithPath: trimmed, relativeTo: URL(fileURLWithPath: baseDirectory, isDirectory: true))
                    .standardizedFileURL.path)
        }
    }

    /// Whether the part after `scheme://` names a host: `user:pass@host:554/path` does, `/path` and `:554/x` do not.
    static func hasHost(_ rest: Substring) -> Bool {
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        let host =
            hostAndPort.hasPrefix("[")
            ? hostAndPort.prefix { $0 != "]" }.dropFirst()  // [IPv6]:port
            : hostAndPort.prefix { $0 != ":" }
        return !host.isEmpty
    }

    public var isFile: Bool {
        if case .file = self { return true }
        return false
    }

    /// What FFmpeg opens.
    public var ffmpegURL: String {
        switch self {
        case .file(let path): return path
        case .rtsp(let url), .http(let url): return url
        }
    }

    public var description: String { ffmpegURL }
}

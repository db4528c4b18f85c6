import Foundation
import Yams

/// A configuration file read as YAML: its top-level sections and the folder its relative paths start from.
///
/// Each process reads the sections it uses from one document (the pipeline every one, `ConsumerConfiguration` the
/// few a consumer of the bus needs) and accepts the others unread. Every section type reads itself from its
/// `YAMLSection`, next to the code that uses it.
public struct ConfigurationDocument {
    /// Every top-level section a file may have; anything else is a typo, reported with a suggestion.
    public static let sectionNames = [
        "kafka", "streams", "pipeline", "model", "tracker", "dashboard", "output", "preview", "metrics", "fleet",
        "archive", "alerts",
    ]

    /// The file as the user named it (for error messages).
    public let file: String
    /// Relative paths in the file are relative to this folder.
    public let baseDirectory: String
    /// The top-level mapping.
    public let root: YAMLSection

    /// Reads a configuration file. Relative paths inside it are resolved against its folder, made absolute so they do
    /// not depend on the working directory of whoever runs the command.
    public static func load(path: String) throws(ConfigurationError) -> ConfigurationDocument {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigurationError(
                file: path, line: nil, path: "",
                message:
                    "the configuration file is a directory; pass a YAML file with --config, e.g. config/sample-pipeline.yaml"
            )
        }
        // Read as bytes first: a device such as /dev/null reads as empty (String(contentsOfFile:) refuses it), and
        // an unreadable file and a file that is not UTF-8 get their own reasons.
        guard let file = FileHandle(forReadingAtPath: path), let data = try? file.readToEnd() ?? Data() else {
            let reason =
                FileManager.default.fileExists(atPath: path)
                ? "cannot be read (check its permissions)"
                : "does not exist; pass an existing YAML file with --config"
            throw ConfigurationError(file: path, line: nil, path: "", message: "the configuration file \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(
                file: path, line: nil, path: "", message: "the configuration file is not UTF-8 text; save it as UTF-8")
        }
        let directory = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        return try parse(yaml: text, file: path, baseDirectory: directory)
    }

    /// Parses YAML text. `file` is only used in error messages.
    public static func parse(
        yaml: String, file: String = "<config>", baseDirectory: String = "."
    ) throws(ConfigurationError) -> ConfigurationDocument {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(
                file: file, line: Self.line(of: error), path: "",
                message: "is not valid YAML: \(Self.summary(of: error))"
            )
        } catch {
            throw ConfigurationError(file: file, line: nil, path: "", message: "is not valid YAML: \(error)")
        }
        return ConfigurationDocument(
            file: file, baseDirectory: baseDirectory,
            root: try YAMLSection(root, path: "", file: file, allowedKeys: sectionNames))
    }

    private init(file: String, baseDirectory: String, root: YAMLSection) {
        self.file = file
        self.baseDirectory = baseDirectory
        self.root = root
    }

    /// A top-level section, which may contain only `allowedKeys`; a missing one is empty (all defaults).
    public func section(_ key: String, allowedKeys: [String]) throws(ConfigurationError) -> YAMLSection {
        try root.section(key, allowedKeys: allowedKeys)
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicate keys \(duplicates.joined(separator: ", ")); keep one of each"
        default:
            return String(describing: error).split(separator: "\n").first.map(String.init) ?? "parse error"
        }
    }
}

/// A view of the configuration file that reads itself from a document; `load` and `parse` come with it.
public protocol ConfigurationReading {
    /// Reads and checks this view's sections of `document`, every problem reported (one line each, in file order).
    static func read(_ document: ConfigurationDocument) throws(ConfigurationError) -> Self
}

extension ConfigurationReading {
    /// Loads a configuration file. Relative paths inside it are resolved against its folder.
    public static func load(path: String) throws(ConfigurationError) -> Self {
        try read(ConfigurationDocument.load(path: path))
    }

    /// Parses YAML text. `file` is only used in error messages.
    public static func parse(
        yaml: String, file: String = "<config>", baseDirectory: String = "."
    ) throws(ConfigurationError) -> Self {
        try read(ConfigurationDocument.parse(yaml: yaml, file: file, baseDirectory: baseDirectory))
    }
}

/// The problems found while the sections of a document are read. Every section (and every stream entry) is read even
/// after a problem, keeping each one's first problem, so one pass reports them all, in file order.
public final class ConfigurationProblems {
    private var errors: [ConfigurationError] = []

    public init() {}

    /// Runs `body`, keeping its problem instead of stopping.
    public func attempt(_ body: () throws(ConfigurationError) -> Void) {
        do { try body() } catch { errors.append(error) }
    }

    /// Opens the top-level section `key` of `document` and runs `body` on it, keeping a problem instead of stopping.
    public func read(
        _ key: String, allowedKeys: [String], of document: ConfigurationDocument,
        _ body: (YAMLSection) throws(ConfigurationError) -> Void
    ) {
        attempt { () throws(ConfigurationError) in try body(document.section(key, allowedKeys: allowedKeys)) }
    }

    /// Throws every problem kept, as one error in file order; nothing when there were none.
    public func throwIfAny() throws(ConfigurationError) {
        if let error = ConfigurationError.combined(errors) { throw error }
    }
}

import Foundation

/// A metric's value from a Prometheus text page: the sum over the label sets that contain `labels` (all when empty).
public func metric(_ page: String, _ name: String, _ labels: String = "") -> Double {
    page.split(separator: "\n").filter {
        ($0.hasPrefix(name + " ") || $0.hasPrefix(name + "{")) && (labels.isEmpty || $0.contains(labels))
    }.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
}

/// GET `url` with curl (an independent client): the status (0 when nothing answered) and the body.
public func fetch(_ url: String) -> (status: Int, body: String) {
    guard let result = try? ChildProcess.run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", url], timeout: 10)
    else { return (0, "") }
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
}

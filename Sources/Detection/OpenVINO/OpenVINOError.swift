import COpenVINO

/// A failed OpenVINO call: which call, its status and OpenVINO's own message.
public struct OpenVINOError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// Throws unless `status` is OK, naming `call` and, when OpenVINO gives one, its last error message.
    static func check(_ status: ov_status_e, _ call: @autoclosure () -> String) throws(OpenVINOError) {
        guard status != OK else { return }
        let name = ov_get_error_info(status).map { String(cString: $0) } ?? "status \(status.rawValue)"
        var detail = ov_get_last_err_msg().map { String(cString: $0) } ?? ""
        // OpenVINO's messages start with C++ source locations ("Exception from src/…:84:", "Check '…'"); keep the
        // first line that says something to the user, on one line.
        let lines = detail.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        detail =
            lines.first { !$0.isEmpty && !$0.hasPrefix("Check '") && !$0.hasPrefix("Exception from ") }
            ?? lines.first { !$0.isEmpty } ?? ""
        throw OpenVINOError("\(call()) failed: \(name)\(detail.isEmpty ? "" : ": \(detail)")")
    }
}

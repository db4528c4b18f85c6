import Foundation

/// One start of the pipeline, as carried in every message (`run_id`): its UTC start time to the millisecond, then
/// 32 random bits, e.g. `20261205T033104.123Z-9f3c61a2`. Fixed width, so string order is start order; the random
/// part keeps two pipelines started in the same millisecond (two shards, a crash loop) apart. Track ids and frame
/// ids are unique within (stream, run): a consumer that sees a new run for a stream knows the pipeline restarted.
public enum RunID {
    /// A new run id for a start at `startedAtMs` (ms since the epoch, from the process's clock).
    public static func make(startedAtMs: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(
            startedAt: Date(timeIntervalSince1970: Double(startedAtMs) / 1000),
            random: UInt32.random(in: .min ... .max, using: &generator))
    }

    /// The run id of a start at `date` with the given random part.
    public static func make(startedAt date: Date, random: UInt32) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d%02d%02dT%02d%02d%02d.%03dZ-%08x", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(milliseconds % 1000),
            random)
    }

    /// Whether run `candidate` started after run `current` (ids of this format compare as strings).
    public static func isNewer(_ candidate: String, than current: String) -> Bool { candidate > current }
}

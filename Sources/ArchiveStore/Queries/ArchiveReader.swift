/// Time buckets of reports and charts.
public enum ReportBucket: String, Sendable, CaseIterable {
    case minute, hour, day

    public var milliseconds: Int64 {
        switch self {
        case .minute: 60_000
        case .hour: 3_600_000
        case .day: 86_400_000
        }
    }
}

/// Event counts of one bucket: one stream's zone or line, event, direction and class.
public struct EventCount: Sendable, Equatable, Encodable {
    public var bucketMs: Int64
    public var stream: String
    /// `zone` or `line`.
    public var kind: String
    public var name: String
    /// `line_cross`, `zone_enter`, `zone_exit` or `dwell`.
    public var event: String
    /// `left_to_right` or `right_to_left` for crossings, empty otherwise.
    public var direction: String
    public var className: String
    public var count: Int64

    enum CodingKeys: String, CodingKey {
        case bucketMs = "bucket_ms"
        case stream, kind, name, event, direction
        case className = "class"
        case count
    }
}

/// Occupancy of one bucket: one stream's zone and class, its peak and its mean over the analysed frames.
public struct OccupancyLevel: Sendable, Equatable, Encodable {
    public var bucketMs: Int64
    public var stream: String
    public var zone: String
    public var className: String
    public var peak: Int64
    public var mean: Double

    enum CodingKeys: String, CodingKey {
        case bucketMs = "bucket_ms"
        case stream, zone
        case className = "class"
        case peak, mean
    }
}

/// Read-only queries over the archive (`report`, the dashboard's History view), on a queue of their own (the
/// database calls block). Each reads the pre-aggregated minute rows, never the individual events.
public final class ArchiveReader: Sendable {
    public let location: ArchiveLocation
    private let worker = DatabaseWorker(label: "archive reader")

    public init(location: ArchiveLocation) {
        self.location = location
    }

    /// The counts of `docs/archive.md`'s "Counts per hour" query: per bucket, stream, zone or line, event, direction
    /// and class, over minutes starting at or after `fromMs` (and before `untilMs`).
    public static let eventCountsSQL = """
        SELECT (minute_ms / $1) * $1 AS bucket_ms, stream, kind, name, event, direction, class_name,
            SUM(event_count) AS events
        FROM event_minutes
        WHERE minute_ms >= $2 AND minute_ms < $3 AND ($4 = '' OR stream = $4)
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        ORDER BY 1, 2, 3, 4, 5, 6, 7
        """

    public static let occupancySQL = """
        SELECT (o.minute_ms / $1) * $1 AS bucket_ms, o.stream, o.zone, o.class_name, MAX(o.occupancy_peak),
            SUM(o.occupancy_sum), SUM(s.frames)
        FROM occupancy_minutes o
        JOIN stream_minutes s ON s.minute_ms = o.minute_ms AND s.stream = o.stream
        WHERE o.minute_ms >= $2 AND o.minute_ms < $3 AND ($4 = '' OR o.stream = $4)
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4
        """

    public func eventCounts(
        by bucket: ReportBucket, fromMs: Int64, untilMs: Int64?, stream: String?
    ) async throws(DatabaseError) -> [EventCount] {
        let rows = try await run(Self.eventCountsSQL, bucket: bucket, fromMs: fromMs, untilMs: untilMs, stream: stream)
        return rows.map { row in
            EventCount(
                bucketMs: row[0].int64 ?? 0, stream: row[1].string ?? "", kind: row[2].string ?? "",
                name: row[3].string ?? "", event: row[4].string ?? "", direction: row[5].string ?? "",
                className: row[6].string ?? "", count: row[7].int64 ?? 0)
        }
    }

    public func occupancy(
        by bucket: ReportBucket, fromMs: Int64, untilMs: Int64?, stream: String?
    ) async throws(DatabaseError) -> [OccupancyLevel] {
        let rows = try await run(Self.occupancySQL, bucket: bucket, fromMs: fromMs, untilMs: untilMs, stream: stream)
        return rows.map { row in
            let frames = row[6].double ?? 0
            return OccupancyLevel(
                bucketMs: row[0].int64 ?? 0, stream: row[1].string ?? "", zone: row[2].string ?? "",
                className: row[3].string ?? "", peak: row[4].int64 ?? 0,
                mean: frames > 0 ? (row[5].double ?? 0) / frames : 0)
        }
    }

    /// The streams the archive holds minutes of (for the History view's choices).
    public func streams() async throws(DatabaseError) -> [String] {
        try await withConnection { connection throws(DatabaseError) in
            try connection.query("SELECT DISTINCT stream FROM stream_minutes ORDER BY stream", []).compactMap {
                $0.first?.string
            }
        }
    }

    private func run(
        _ sql: String, bucket: ReportBucket, fromMs: Int64, untilMs: Int64?, stream: String?
    ) async throws(DatabaseError) -> [[SQLValue]] {
        try await withConnection { connection throws(DatabaseError) in
            try connection.query(
                sql,
                [
                    .integer(bucket.milliseconds), .integer(fromMs), .integer(untilMs ?? Int64.max),
                    .text(stream ?? ""),
                ])
        }
    }

    private func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (any SQLConnection) throws(DatabaseError) -> T
    ) async throws(DatabaseError) -> T {
        let location = self.location
        return try await worker.run { slot throws(DatabaseError) in
            let connection: any SQLConnection
            if let open = slot, open.isUsable {
                connection = open
            } else {
                slot = nil
                connection = try location.connect(readOnly: true)
                let version = ArchiveSchema.storedVersion(of: connection)
                guard version >= 1 else {
                    throw DatabaseError(
                        .unreachable, "the archive \(location) is empty; start `realtime-analytics archive` first")
                }
                guard version <= ArchiveSchema.currentVersion else {
                    throw DatabaseError(
                        .schemaTooNew,
                        "the archive \(location) has schema version \(version), newer than this build's \(ArchiveSchema.currentVersion); use the newer realtime-analytics that wrote it"
                    )
                }
                slot = connection
            }
            do throws(DatabaseError) {
                return try body(connection)
            } catch {
                if !connection.isUsable { slot = nil }
                throw error
            }
        }
    }
}

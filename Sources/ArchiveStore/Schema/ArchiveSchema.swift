/// The archive's tables (docs/archive.md describes every column), as numbered migrations applied at start, each in a
/// transaction of its own. The text runs unchanged on SQLite and PostgreSQL: integer milliseconds since the Unix
/// epoch for times, no dialect functions.
public enum ArchiveSchema {
    /// The newest version this build writes and reads.
    public static var currentVersion: Int { migrations.count }

    /// Migration `n` (1-based) brings a version `n - 1` archive to version `n`. Only ever append.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE archive_offsets (
                topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL, next_offset BIGINT NOT NULL,
                updated_ms BIGINT NOT NULL, PRIMARY KEY (topic, kafka_partition))
            """,
            """
            CREATE TABLE tracks (
                stream TEXT NOT NULL, run_id TEXT NOT NULL, track_id BIGINT NOT NULL,
                class_id INTEGER NOT NULL, class_name TEXT NOT NULL,
                first_seen_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL,
                first_frame_id BIGINT NOT NULL, last_frame_id BIGINT NOT NULL, looks BIGINT NOT NULL,
                confidence_sum DOUBLE PRECISION NOT NULL, confidence_max DOUBLE PRECISION NOT NULL,
                first_x DOUBLE PRECISION NOT NULL, first_y DOUBLE PRECISION NOT NULL,
                last_x DOUBLE PRECISION NOT NULL, last_y DOUBLE PRECISION NOT NULL,
                ended INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (stream, run_id, track_id))
            """,
            "CREATE INDEX tracks_by_last_seen ON tracks (last_seen_ms)",
            "CREATE INDEX tracks_open ON tracks (stream, ended)",
            """
            CREATE TABLE events (
                topic TEXT NOT NULL, kafka_partition INTEGER NOT NULL, kafka_offset BIGINT NOT NULL,
                stream TEXT NOT NULL, run_id TEXT NOT NULL, event TEXT NOT NULL, kind TEXT NOT NULL,
                name TEXT NOT NULL, track_id BIGINT NOT NULL, class_id INTEGER, class_name TEXT NOT NULL,
                direction TEXT, duration_s DOUBLE PRECISION, frame_id BIGINT NOT NULL, timestamp_ms BIGINT NOT NULL,
                PRIMARY KEY (topic, kafka_partition, kafka_offset))
            """,
            "CREATE INDEX events_by_time ON events (timestamp_ms)",
            "CREATE INDEX events_by_stream ON events (stream, timestamp_ms)",
            """
            CREATE TABLE event_minutes (
                minute_ms BIGINT NOT NULL, stream TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
                event TEXT NOT NULL, direction TEXT NOT NULL, class_name TEXT NOT NULL, event_count BIGINT NOT NULL,
                PRIMARY KEY (minute_ms, stream, kind, name, event, direction, class_name))
            """,
            """
            CREATE TABLE stream_minutes (
                minute_ms BIGINT NOT NULL, stream TEXT NOT NULL, frames BIGINT NOT NULL, detections BIGINT NOT NULL,
                PRIMARY KEY (minute_ms, stream))
            """,
            """
            CREATE TABLE occupancy_minutes (
                minute_ms BIGINT NOT NULL, stream TEXT NOT NULL, zone TEXT NOT NULL, class_name TEXT NOT NULL,
                occupancy_sum BIGINT NOT NULL, occupancy_peak BIGINT NOT NULL,
                PRIMARY KEY (minute_ms, stream, zone, class_name))
            """,
            """
            CREATE TABLE observations (
                stream TEXT NOT NULL, run_id TEXT NOT NULL, frame_id BIGINT NOT NULL, position INTEGER NOT NULL,
                timestamp_ms BIGINT NOT NULL, track_id BIGINT NOT NULL, class_id INTEGER NOT NULL,
                class_name TEXT NOT NULL, confidence DOUBLE PRECISION NOT NULL,
                x1 DOUBLE PRECISION NOT NULL, y1 DOUBLE PRECISION NOT NULL,
                x2 DOUBLE PRECISION NOT NULL, y2 DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (stream, run_id, frame_id, position))
            """,
            "CREATE INDEX observations_by_time ON observations (timestamp_ms)",
        ]
    ]

    /// The version of the archive behind `connection` (0: empty), reading the version table.
    public static func version(of connection: any SQLConnection) throws(DatabaseError) -> Int {
        try connection.execute(
            "CREATE TABLE IF NOT EXISTS archive_schema (version INTEGER NOT NULL, applied_ms BIGINT NOT NULL)", [])
        let rows = try connection.query("SELECT MAX(version) FROM archive_schema", [])
        return Int(rows.first?.first?.int64 ?? 0)
    }

    /// The version of an archive opened for reading (nothing is created): 0 when it has no tables yet.
    public static func storedVersion(of connection: any SQLConnection) -> Int {
        guard let rows = try? connection.query("SELECT MAX(version) FROM archive_schema", []) else { return 0 }
        return Int(rows.first?.first?.int64 ?? 0)
    }

    /// Brings the archive to `currentVersion`; returns the versions applied. An archive written by a newer build is
    /// refused (`DatabaseError.Kind.schemaTooNew`): this build would misread it.
    @discardableResult
    public static func migrate(
        _ connection: any SQLConnection, nowMs: Int64, name: String
    ) throws(DatabaseError)
        -> [Int]
    {
        let found = try version(of: connection)
        guard found <= currentVersion else {
            throw DatabaseError(
                .schemaTooNew,
                "the archive \(name) has schema version \(found), newer than this build's \(currentVersion); run the newer realtime-analytics that wrote it, or set archive.url to another database"
            )
        }
        var applied: [Int] = []
        for version in stride(from: found + 1, through: currentVersion, by: 1) {
            try connection.writeTransaction { () throws(DatabaseError) in
                // Read again inside the transaction: two archives starting at once apply each migration once.
                let now = try connection.query("SELECT MAX(version) FROM archive_schema", []).first?.first?.int64 ?? 0
                guard now < version else { return }
                for statement in migrations[version - 1] { try connection.execute(statement, []) }
                try connection.execute(
                    "INSERT INTO archive_schema (version, applied_ms) VALUES ($1, $2)",
                    [.integer(Int64(version)), .integer(nowMs)])
                applied.append(version)
            }
        }
        return applied
    }
}

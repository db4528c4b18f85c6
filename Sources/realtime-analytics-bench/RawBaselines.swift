import CRdKafka
import CTurboJPEG
import Foundation
import RuntimeSupport
import VideoFrames

/// The libraries on their own, for the benchmark's ratios: what a bare librdkafka producer and a bare TurboJPEG
/// encode achieve on the same payload, frame and broker as the pipeline's code paths.
enum RawBaselines {
    /// Messages/s of a bare librdkafka producer (the pipeline's producer properties) sending `payload` `count`
    /// times, from the first produce until the broker acknowledged all of them (flush).
    static func librdkafkaRate(bootstrapServers: String, topic: String, payload: [UInt8], count: Int) throws -> Double {
        let conf = rd_kafka_conf_new()
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in [
            ("bootstrap.servers", bootstrapServers), ("acks", "all"), ("enable.idempotence", "true"),
            ("compression.type", "lz4"), ("linger.ms", "10"), ("batch.size", "16384"),
            ("queue.buffering.max.messages", "20000"), ("queue.buffering.max.kbytes", "131072"),
        ] {
            guard rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) == RD_KAFKA_CONF_OK else {
                throw ValidationErrorText("librdkafka rejected \(key)=\(value)")
            }
        }
        guard let producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            throw ValidationErrorText(
                "rd_kafka_new failed: \(String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
            )
        }
        defer { rd_kafka_destroy(producer) }
        let key = Array("camera-1".utf8)
        func produce() -> rd_kafka_resp_err_t {
            payload.withUnsafeBytes { value in
                ra_kafka_produce(
                    producer, topic, key, key.count, value.baseAddress, value.count, nil, nil, 0, nil, nil, 0, nil)
            }
        }
        // Warm up: topic creation and connection, not timed.
        _ = produce()
        _ = rd_kafka_flush(producer, 10_000)
        let start = ServiceClock.system.now
        var sent = 0
        while sent < count {
            let result = produce()
            if result == RD_KAFKA_RESP_ERR_NO_ERROR {
                sent += 1
            } else if result == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                rd_kafka_poll(producer, 1)
            } else {
                throw ValidationErrorText("produce failed: \(String(cString: rd_kafka_err2str(result)))")
            }
            if sent % 1000 == 0 { rd_kafka_poll(producer, 0) }
        }
        guard rd_kafka_flush(producer, 120_000) == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw ValidationErrorText("the broker did not acknowledge every message within 120 s")
        }
        return Double(count) / start.duration(to: ServiceClock.system.now).seconds
    }

    /// Frames/s of TurboJPEG alone compressing `frame`'s I420 planes at `quality` (no scaling, drawing or base64).
    static func turboJPEGRate(_ frame: Frame, quality: Int32, runs: Int) throws -> Double {
        guard let handle = tjInitCompress() else { throw ValidationErrorText("tjInitCompress failed") }
        defer { tjDestroy(handle) }
        let width = Int32(frame.width), height = Int32(frame.height)
        let capacity = tjBufSize(width, height, Int32(TJSAMP_420.rawValue))
        var buffer: UnsafeMutablePointer<UInt8>? = tjAlloc(Int32(capacity))
        defer { tjFree(buffer) }
        let pixels = try ImageScaler(filter: .bilinear).i420(frame.pixels, width: frame.width, height: frame.height)
        let base = UnsafePointer(pixels.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        let lumaSize = frame.width * frame.height, chromaSize = (frame.width / 2) * (frame.height / 2)
        var planes: [UnsafePointer<UInt8>?] = [base, base + lumaSize, base + lumaSize + chromaSize]
        var strides: [Int32] = [width, width / 2, width / 2]
        let start = ServiceClock.system.now
        for _ in 0..<runs {
            var size = capacity
            guard
                tjCompressFromYUVPlanes(
                    handle, &planes, width, &strides, height, Int32(TJSAMP_420.rawValue), &buffer, &size, quality,
                    TJFLAG_NOREALLOC) == 0
            else { throw ValidationErrorText("tjCompressFromYUVPlanes failed") }
        }
        return Double(runs) / start.duration(to: ServiceClock.system.now).seconds
    }
}

struct ValidationErrorText: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

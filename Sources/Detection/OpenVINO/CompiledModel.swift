import AnalyticsCore
import COpenVINO
import Foundation

/// A model read and compiled once for a device (owns the OpenVINO core, model and compiled model). Infer requests
/// made from it share its weights; each is used by one worker thread.
public final class CompiledModel: @unchecked Sendable {
    /// What to compile and how.
    public struct Options: Sendable {
        public var path: String
        public var device = "CPU"
        /// nil = the device's default precision.
        public var precision: String?
        /// The network input is reshaped to [batch, 3, height, width].
        public var inputSize = InputSize.square(416)
        /// Frames per inference request.
        public var batch = 1
        /// Parallel infer requests the device should serve (one per detector worker).
        public var streams = 1

        public init(path: String) {
            self.path = path
        }
    }

    /// An output tensor's name and static shape.
    public struct Port: Sendable {
        public var name: String
        public var shape: [Int]
    }

    public let outputs: [Port]
    /// The OpenVINO runtime version, for logs.
    public let runtimeVersion: String

    // Immutable after init; OpenVINO's compiled model is thread-safe for creating infer requests.
    private let core: OpaquePointer
    private let compiled: OpaquePointer

    public init(_ options: Options) throws(OpenVINOError) {
        var version = ov_version_t()
        if ov_get_openvino_version(&version) == OK {
            runtimeVersion = version.buildNumber.map { String(cString: $0) } ?? "unknown"
            ov_version_free(&version)
        } else {
            runtimeVersion = "unknown"
        }
        guard FileManager.default.fileExists(atPath: options.path) else {
            throw OpenVINOError("model \(options.path) does not exist; run scripts/model.sh install or fix model.path")
        }
        var core: OpaquePointer?
        try OpenVINOError.check(ov_core_create(&core), "ov_core_create")
        guard let core else { throw OpenVINOError("ov_core_create returned no core") }
        var model: OpaquePointer?
        do {
            try OpenVINOError.check(ov_core_read_model(core, options.path, nil, &model), "reading \(options.path)")
        } catch {
            ov_core_free(core)
            throw error
        }
        defer { ov_model_free(model) }
        do throws(OpenVINOError) {
            try Self.reshapeInput(model!, size: options.inputSize, batch: options.batch)
            let bytesIn = try Self.takingBytes(model!)
            defer { ov_model_free(bytesIn) }
            let compiled = try Self.compile(core: core, model: bytesIn, options: options)
            self.core = core
            self.compiled = compiled
        } catch {
            ov_core_free(core)
            throw error
        }
        do throws(OpenVINOError) {
            var count = 0
            try OpenVINOError.check(ov_compiled_model_outputs_size(compiled, &count), "ov_compiled_model_outputs_size")
            var outputs: [Port] = []
            for index in 0..<count { outputs.append(try Self.port(compiled, index: index, input: false)) }
            self.outputs = outputs
        } catch {
            ov_compiled_model_free(compiled)
            ov_core_free(core)
            throw error
        }
    }

    deinit {
        ov_compiled_model_free(compiled)
        ov_core_free(core)
    }

    /// A new infer request; its first inference runs here so that workers start warm (and one-time allocations
    /// happen before the pipeline runs).
    public func makeRequest() throws(OpenVINOError) -> InferRequest {
        var request: OpaquePointer?
        try OpenVINOError.check(ov_compiled_model_create_infer_request(compiled, &request), "creating an infer request")
        guard let request else { throw OpenVINOError("no infer request") }
        let inferRequest = try InferRequest(request, outputs: outputs)
        try inferRequest.infer()
        return inferRequest
    }

    /// The model's single image input becomes [batch, 3, height, width].
    private static func reshapeInput(_ model: OpaquePointer, size: InputSize, batch: Int) throws(OpenVINOError) {
        var inputs = 0
        try OpenVINOError.check(ov_model_inputs_size(model, &inputs), "ov_model_inputs_size")
        guard inputs == 1 else {
            throw OpenVINOError("the model has \(inputs) inputs; a detector model needs one image input")
        }
        var shape = ov_partial_shape_t()
        let dims: [Int64] = [Int64(batch), 3, Int64(size.height), Int64(size.width)]
        try OpenVINOError.check(ov_partial_shape_create_static(4, dims, &shape), "ov_partial_shape_create_static")
        defer { ov_partial_shape_free(&shape) }
        try OpenVINOError.check(
            ov_model_reshape_single_input(model, shape),
            "reshaping the model input to \(batch)x3x\(size.height)x\(size.width)")
    }

    /// The model with an 8-bit input: [batch, 3, height, width] bytes, 0-255, converted to the network's floats (and
    /// divided by 255) inside the compiled graph, where the CPU plugin fuses it into the first layer. The input is
    /// then written by swscale straight into the request's tensor: no float conversion loop and a quarter of the
    /// bytes to move per frame.
    private static func takingBytes(_ model: OpaquePointer) throws(OpenVINOError) -> OpaquePointer {
        var processor: OpaquePointer?
        try OpenVINOError.check(ov_preprocess_prepostprocessor_create(model, &processor), "preparing the model input")
        defer { ov_preprocess_prepostprocessor_free(processor) }
        var input: OpaquePointer?
        try OpenVINOError.check(ov_preprocess_prepostprocessor_get_input_info(processor, &input), "the model input")
        defer { ov_preprocess_input_info_free(input) }
        var tensor: OpaquePointer?
        try OpenVINOError.check(ov_preprocess_input_info_get_tensor_info(input, &tensor), "the input tensor")
        defer { ov_preprocess_input_tensor_info_free(tensor) }
        try OpenVINOError.check(ov_preprocess_input_tensor_info_set_element_type(tensor, U8), "an 8-bit input")
        var steps: OpaquePointer?
        try OpenVINOError.check(ov_preprocess_input_info_get_preprocess_steps(input, &steps), "the input steps")
        defer { ov_preprocess_preprocess_steps_free(steps) }
        try OpenVINOError.check(ov_preprocess_preprocess_steps_convert_element_type(steps, F32), "input to f32")
        try OpenVINOError.check(ov_preprocess_preprocess_steps_scale(steps, 255), "input scaling")
        var built: OpaquePointer?
        try OpenVINOError.check(ov_preprocess_prepostprocessor_build(processor, &built), "building the 8-bit input")
        guard let built else { throw OpenVINOError("building the 8-bit input returned no model") }
        return built
    }

    private static func compile(
        core: OpaquePointer, model: OpaquePointer, options: Options
    ) throws(OpenVINOError)
        -> OpaquePointer
    {
        // One stream per worker, one thread per stream: separate single-threaded requests on separate cores beat one
        // multi-threaded request here (the decode threads need cores too).
        var pairs: [(String, String)] = []
        if options.device.hasPrefix("CPU") {
            pairs.append((String(cString: ra_ov_key_num_streams()), "\(options.streams)"))
            pairs.append((String(cString: ra_ov_key_inference_num_threads()), "\(options.streams)"))
        }
        if let precision = options.precision {
            pairs.append((String(cString: ra_ov_key_inference_precision()), precision))
        }
        var cStrings: [UnsafeMutablePointer<CChar>] = []
        defer { cStrings.forEach { free($0) } }
        var properties: [ov_property_t] = []
        for (key, value) in pairs {
            let k = strdup(key)!, v = strdup(value)!
            cStrings += [k, v]
            properties.append(ov_property_t(key: UnsafePointer(k), value: UnsafeRawPointer(v)))
        }
        var compiled: OpaquePointer?
        try OpenVINOError.check(
            ov_core_compile_model_props(core, model, options.device, properties.count, properties, &compiled),
            "compiling \(options.path) for device \(options.device)")
        guard let compiled else { throw OpenVINOError("compiling returned no model") }
        return compiled
    }

    private static func port(_ compiled: OpaquePointer, index: Int, input: Bool) throws(OpenVINOError) -> Port {
        var port: OpaquePointer?
        if input {
            try OpenVINOError.check(ov_compiled_model_input_by_index(compiled, index, &port), "input \(index)")
        } else {
            try OpenVINOError.check(ov_compiled_model_output_by_index(compiled, index, &port), "output \(index)")
        }
        defer { ov_output_const_port_free(port) }
        var name: UnsafeMutablePointer<CChar>?
        let nameStatus = ov_port_get_any_name(port, &name)
        let portName =
            nameStatus == OK && name != nil ? String(cString: name!) : "\(input ? "input" : "output")\(index)"
        if let name { ov_free(name) }
        var shape = ov_shape_t()
        try OpenVINOError.check(ov_const_port_get_shape(port, &shape), "the shape of \(portName)")
        defer { ov_shape_free(&shape) }
        let dims = (0..<Int(shape.rank)).map { Int(shape.dims[$0]) }
        return Port(name: portName, shape: dims)
    }
}

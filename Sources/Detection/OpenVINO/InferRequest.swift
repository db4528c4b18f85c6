import COpenVINO

/// One OpenVINO infer request (owned), with its input tensor's memory to fill and its outputs to read after
/// `infer()`. Synchronous: `infer()` blocks its caller, so it runs on a detector worker thread, never on the
/// cooperative pool. One thread at a time.
public final class InferRequest {
    private let request: OpaquePointer
    private let inputTensor: OpaquePointer
    private var outputTensors: [OpaquePointer] = []
    /// The input, [batch, 3, H, W] bytes (0-255; see `CompiledModel`).
    public let input: UnsafeMutableBufferPointer<UInt8>
    /// The outputs after `infer()`, in model order (OpenVINO keeps the tensors' memory per request).
    public let outputs: [UnsafeBufferPointer<Float>]
    public let outputShapes: [[Int]]

    init(_ request: OpaquePointer, outputs ports: [CompiledModel.Port]) throws(OpenVINOError) {
        self.request = request
        do throws(OpenVINOError) {
            var tensor: OpaquePointer?
            try OpenVINOError.check(ov_infer_request_get_input_tensor(request, &tensor), "the input tensor")
            inputTensor = tensor!
            input = try Self.elements(tensor!, of: U8, as: UInt8.self, what: "input")
            var outputs: [UnsafeBufferPointer<Float>] = []
            for index in ports.indices {
                var output: OpaquePointer?
                try OpenVINOError.check(
                    ov_infer_request_get_output_tensor_by_index(request, index, &output), "output tensor \(index)")
                outputTensors.append(output!)
                outputs.append(
                    UnsafeBufferPointer(try Self.elements(output!, of: F32, as: Float.self, what: ports[index].name)))
            }
            self.outputs = outputs
            outputShapes = ports.map(\.shape)
        } catch {
            ov_infer_request_free(request)
            throw error
        }
    }

    deinit {
        outputTensors.forEach { ov_tensor_free($0) }
        ov_tensor_free(inputTensor)
        ov_infer_request_free(request)
    }

    /// Runs the model on the current input.
    public func infer() throws(OpenVINOError) {
        try OpenVINOError.check(ov_infer_request_infer(request), "inference")
    }

    private static func elements<Element>(
        _ tensor: OpaquePointer, of expected: ov_element_type_e, as: Element.Type, what: String
    ) throws(OpenVINOError) -> UnsafeMutableBufferPointer<Element> {
        var type = DYNAMIC
        try OpenVINOError.check(ov_tensor_get_element_type(tensor, &type), "the element type of \(what)")
        guard type == expected else {
            throw OpenVINOError(
                "\(what) has element type \(type.rawValue), not \(expected.rawValue); the detector needs an 8-bit input and f32 outputs"
            )
        }
        var count = 0
        try OpenVINOError.check(ov_tensor_get_size(tensor, &count), "the size of \(what)")
        var data: UnsafeMutableRawPointer?
        try OpenVINOError.check(ov_tensor_data(tensor, &data), "the data of \(what)")
        return UnsafeMutableBufferPointer(start: data!.assumingMemoryBound(to: Element.self), count: count)
    }
}

#ifndef REALTIME_ANALYTICS_COPENVINO_SHIM_H
#define REALTIME_ANALYTICS_COPENVINO_SHIM_H
// OpenVINO's C API from the PyPI wheel, unpacked by scripts/openvino.sh (pkg-config: openvino-c).
// Compiling uses the non-variadic ov_core_compile_model_props (2026.x), which Swift can call directly; the
// variadic ov_core_compile_model cannot be imported.
#include <openvino/c/openvino.h>

// The property keys are mutable C globals, which strict concurrency rejects; these read them.
static inline const char *ra_ov_key_num_streams(void) { return ov_property_key_num_streams; }
static inline const char *ra_ov_key_inference_num_threads(void) { return ov_property_key_inference_num_threads; }
static inline const char *ra_ov_key_inference_precision(void) { return ov_property_key_hint_inference_precision; }
#endif

#ifndef REALTIME_ANALYTICS_CFFMPEG_SHIM_H
#define REALTIME_ANALYTICS_CFFMPEG_SHIM_H

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>

// FFmpeg's error codes are macros Swift cannot import; these wrappers expose them.
static inline int ra_averror_eof(void) { return AVERROR_EOF; }
static inline int ra_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int ra_averror_exit(void) { return AVERROR_EXIT; }
static inline int ra_averror_enoent(void) { return AVERROR(ENOENT); }
static inline int ra_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }

// AVFrame.data imports as a tuple; scaling into one contiguous I420 buffer (Y, then U, then V, rows unpadded) is
// simpler from C. Width and height must be even.
static inline int ra_scale_to_i420(struct SwsContext *ctx, const AVFrame *src, uint8_t *dst, int width, int height) {
    uint8_t *dst_planes[4] = { dst, dst + width * height, dst + width * height + (width / 2) * (height / 2), NULL };
    int dst_strides[4] = { width, width / 2, width / 2, 0 };
    return sws_scale(ctx, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dst_planes, dst_strides);
}

// The detector's input: a contiguous I420 frame (rows unpadded) scaled into three 8-bit planes G, B, R (GBRP, swscale's
// planar RGB) of `dst_width` x `dst_height`, each row `dst_stride` bytes apart.
static inline int ra_scale_i420_to_gbrp(struct SwsContext *ctx, const uint8_t *src, int src_width, int src_height,
                                        uint8_t *g, uint8_t *b, uint8_t *r, int dst_stride, int dst_height) {
    const uint8_t *src_planes[4] = { src, src + src_width * src_height,
                                     src + src_width * src_height + (src_width / 2) * (src_height / 2), NULL };
    int src_strides[4] = { src_width, src_width / 2, src_width / 2, 0 };
    uint8_t *dst_planes[4] = { g, b, r, NULL };
    int dst_strides[4] = { dst_stride, dst_stride, dst_stride, 0 };
    int rows = sws_scale(ctx, src_planes, src_strides, 0, src_height, dst_planes, dst_strides);
    return rows == dst_height ? 0 : -1;
}

#endif

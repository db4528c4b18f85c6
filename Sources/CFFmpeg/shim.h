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

#endif

#ifndef REALTIME_ANALYTICS_CFFMPEG_SHIM_H
#define REALTIME_ANALYTICS_CFFMPEG_SHIM_H

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

// FFmpeg's error codes are macros Swift cannot import; these wrappers expose them.
static inline int ra_averror_eof(void) { return AVERROR_EOF; }
static inline int ra_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int ra_averror_exit(void) { return AVERROR_EXIT; }
static inline int ra_averror_enoent(void) { return AVERROR(ENOENT); }
static inline int ra_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }

#endif

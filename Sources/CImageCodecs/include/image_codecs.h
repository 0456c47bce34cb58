// PNG and JPEG encoding/decoding over libpng and libjpeg-turbo, with their
// longjmp-based error handling kept inside C: every function returns 0 on
// success and non-zero on failure with a message in `error` (256 bytes).
#ifndef IMAGE_CODECS_H
#define IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Encodes 8-bit interleaved pixels (channels 1 = gray, 3 = RGB, 4 = RGBA) as PNG
// into a malloc'd buffer the caller frees with free().
int ic_png_encode(const uint8_t *pixels, int width, int height, int channels,
                  uint8_t **out, size_t *out_size, char *error);

// Decodes a PNG file to 8-bit RGB; *pixels is malloc'd (free()).
int ic_png_decode_rgb(const uint8_t *data, size_t size, uint8_t **pixels, int *width, int *height,
                      char *error);

// Encodes 8-bit RGB as baseline JPEG at `quality` (1-100) with 4:2:0 chroma
// subsampling (PIL's default) into a malloc'd buffer (free()).
int ic_jpeg_encode_rgb(const uint8_t *pixels, int width, int height, int quality,
                       uint8_t **out, size_t *out_size, char *error);

// Decodes a JPEG to 8-bit RGB; *pixels is malloc'd (free()).
int ic_jpeg_decode_rgb(const uint8_t *data, size_t size, uint8_t **pixels, int *width, int *height,
                       char *error);

#ifdef __cplusplus
}
#endif
#endif

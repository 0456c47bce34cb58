#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "image_codecs.h"

// The simplified libpng API reports errors through image.message, no longjmp.
int ic_png_encode(const uint8_t *pixels, int width, int height, int channels, uint8_t **out, size_t *out_size,
                  char *error) {
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = (png_uint_32)width;
  image.height = (png_uint_32)height;
  switch (channels) {
    case 1: image.format = PNG_FORMAT_GRAY; break;
    case 3: image.format = PNG_FORMAT_RGB; break;
    case 4: image.format = PNG_FORMAT_RGBA; break;
    default: snprintf(error, 256, "unsupported channel count %d", channels); return 1;
  }
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&image, NULL, &size, 0, pixels, 0, NULL)) {
    snprintf(error, 256, "png: %s", image.message);
    return 1;
  }
  uint8_t *buffer = malloc(size);
  if (!buffer) { snprintf(error, 256, "png: out of memory"); return 1; }
  if (!png_image_write_to_memory(&image, buffer, &size, 0, pixels, 0, NULL)) {
    snprintf(error, 256, "png: %s", image.message);
    free(buffer);
    return 1;
  }
  *out = buffer;
  *out_size = size;
  return 0;
}

int ic_png_decode_rgb(const uint8_t *data, size_t size, uint8_t **pixels, int *width, int *height, char *error) {
  png_image image;
  memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, data, size)) {
    snprintf(error, 256, "png: %s", image.message);
    return 1;
  }
  image.format = PNG_FORMAT_RGB;
  uint8_t *buffer = malloc(PNG_IMAGE_SIZE(image));
  if (!buffer) { png_image_free(&image); snprintf(error, 256, "png: out of memory"); return 1; }
  if (!png_image_finish_read(&image, NULL, buffer, 0, NULL)) {
    snprintf(error, 256, "png: %s", image.message);
    free(buffer);
    return 1;
  }
  *pixels = buffer;
  *width = (int)image.width;
  *height = (int)image.height;
  return 0;
}

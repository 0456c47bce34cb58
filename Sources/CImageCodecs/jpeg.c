#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "image_codecs.h"

// libjpeg's default error handler exits the process; this one jumps back here.
struct error_manager {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  char *message;
};

static void on_error(j_common_ptr info) {
  struct error_manager *manager = (struct error_manager *)info->err;
  char text[JMSG_LENGTH_MAX];
  (*info->err->format_message)(info, text);
  snprintf(manager->message, 256, "jpeg: %s", text);
  longjmp(manager->jump, 1);
}

int ic_jpeg_encode_rgb(const uint8_t *pixels, int width, int height, int quality, uint8_t **out, size_t *out_size,
                       char *error) {
  struct jpeg_compress_struct info;
  struct error_manager manager;
  unsigned char *buffer = NULL;
  unsigned long size = 0;
  info.err = jpeg_std_error(&manager.base);
  manager.base.error_exit = on_error;
  manager.message = error;
  if (setjmp(manager.jump)) {
    jpeg_destroy_compress(&info);
    free(buffer);
    return 1;
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = (JDIMENSION)width;
  info.image_height = (JDIMENSION)height;
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  // 4:2:0: luma at full resolution, both chroma planes halved in each direction (PIL's default).
  info.comp_info[0].h_samp_factor = 2;
  info.comp_info[0].v_samp_factor = 2;
  info.comp_info[1].h_samp_factor = 1;
  info.comp_info[1].v_samp_factor = 1;
  info.comp_info[2].h_samp_factor = 1;
  info.comp_info[2].v_samp_factor = 1;
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * (size_t)width * 3);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  *out = buffer;
  *out_size = size;
  return 0;
}

int ic_jpeg_decode_rgb(const uint8_t *data, size_t size, uint8_t **pixels, int *width, int *height, char *error) {
  struct jpeg_decompress_struct info;
  struct error_manager manager;
  uint8_t *buffer = NULL;
  info.err = jpeg_std_error(&manager.base);
  manager.base.error_exit = on_error;
  manager.message = error;
  if (setjmp(manager.jump)) {
    jpeg_destroy_decompress(&info);
    free(buffer);
    return 1;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, (unsigned long)size);
  jpeg_read_header(&info, TRUE);
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  size_t stride = (size_t)info.output_width * 3;
  buffer = malloc(stride * info.output_height);
  if (!buffer) {
    snprintf(error, 256, "jpeg: out of memory");
    jpeg_destroy_decompress(&info);
    return 1;
  }
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = buffer + (size_t)info.output_scanline * stride;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  *width = (int)info.output_width;
  *height = (int)info.output_height;
  jpeg_destroy_decompress(&info);
  *pixels = buffer;
  return 0;
}

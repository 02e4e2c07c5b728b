/*
 * hostile_images.c - writes the images that once stalled the verifier's upload path, for the
 * HTTP test and the image tests: a progressive JPEG whose last AC scan is repeated N times (each
 * repeat makes libjpeg do a whole scan's work again), and a small PNG that declares W x H pixels
 * of a single grey (a decompression bomb: a few KB that decode to W*H bytes).
 * usage: hostile_images scans OUT.jpg REPEATS | bomb OUT.png WIDTH HEIGHT
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

static int scans(const char *out, long repeats)
{
    const unsigned w = 1024, h = 1024; /* flat grey: every scan is tiny, and costs a full pass */
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *mem = NULL;
    unsigned long len = 0;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &len);
    c.image_width = w, c.image_height = h, c.input_components = 1, c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    unsigned char row[1024];
    memset(row, 128, sizeof row);
    while (c.next_scanline < h) {
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    /* the last scan: from the last SOS marker (FF DA) to the EOI (FF D9) */
    size_t last = 0;
    for (size_t i = 0; i + 1 < len; i++)
        if (mem[i] == 0xff && mem[i + 1] == 0xda)
            last = i;
    if (!last || len < 2 || mem[len - 2] != 0xff || mem[len - 1] != 0xd9)
        return 1;
    FILE *f = fopen(out, "wb");
    if (!f)
        return 1;
    fwrite(mem, 1, len - 2, f);
    for (long k = 0; k < repeats; k++)
        fwrite(mem + last, 1, len - 2 - last, f);
    fwrite("\xff\xd9", 1, 2, f);
    free(mem);
    return fclose(f) != 0;
}

static int bomb(const char *out, unsigned w, unsigned h)
{
    FILE *f = fopen(out, "wb");
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = p ? png_create_info_struct(p) : NULL;
    if (!f || !info || setjmp(png_jmpbuf(p)))
        return 1;
    png_init_io(p, f);
    png_set_compression_level(p, 9);
    png_set_IHDR(p, info, w, h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(p, info);
    unsigned char *row = calloc(w, 1);
    for (unsigned y = 0; y < h; y++)
        png_write_row(p, row);
    png_write_end(p, info);
    png_destroy_write_struct(&p, &info);
    free(row);
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "scans") == 0)
        return scans(argv[2], atol(argv[3]));
    if (argc == 5 && strcmp(argv[1], "bomb") == 0)
        return bomb(argv[2], (unsigned)atol(argv[3]), (unsigned)atol(argv[4]));
    fprintf(stderr, "usage: hostile_images scans OUT.jpg REPEATS | bomb OUT.png WIDTH HEIGHT\n");
    return 2;
}

/*
 * fuzz_image.c - libFuzzer target for the upload path: PNG and JPEG decoding (libpng, libjpeg
 * with the scan limit and deadline), scaling and the QR search (libzbar), with the limits the
 * server uses. Seeds: a certificate's QR PNG and a small progressive JPEG.
 */
#include <stdlib.h>

#include "service.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the libFuzzer run is bounded in time; a smaller pixel limit keeps executions fast */
    const struct tc_image_limits lim = {1u << 20, TC_IMAGE_MAX_SCANS, tc_monotonic_ns() + 1000000000u};
    char *text = NULL;
    if (tc_image_decode_qr_limited(data, size, &lim, &text) == TC_OK && !text)
        abort(); /* success always returns the text */
    free(text);
    return 0;
}

/*
 * fuzz_p11attr.c - libFuzzer target for the PKCS#11 attribute parsers: what a token (any module
 * a custodian names) answers for CKA_EC_POINT (first byte even) or CKA_EC_PARAMS (odd). Beyond
 * not crashing: a point is accepted only from 32 bytes or a 34-byte OCTET STRING, and then is
 * those bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > TC_PKCS11_EC_ATTR_MAX + 1)
        return 0;
    uint8_t mode = data[0] & 1;
    data++, size--;
    if (mode == 1) {
        (void)tc_keys_pkcs11_ec_params(data, size);
        return 0;
    }
    uint8_t pk[TC_PK_BYTES];
    if (tc_keys_pkcs11_ec_point(pk, data, size) != TC_OK)
        return 0;
    const uint8_t *want = size == TC_PK_BYTES ? data : data + 2;
    if ((size != TC_PK_BYTES && size != TC_PK_BYTES + 2) || memcmp(pk, want, TC_PK_BYTES) != 0)
        abort();
    return 0;
}

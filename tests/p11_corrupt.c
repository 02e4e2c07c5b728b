/*
 * p11_corrupt.c - a PKCS#11 module that lies: it is the module named by TC_P11_REAL_MODULE
 * (SoftHSM2 in the tests) with one bit of every signature flipped. titlecert must refuse a token
 * whose signatures do not verify against its own public key, at open (the self-test) and at
 * every signature after it; keys_pkcs11.sh and test_keys_pkcs11 load this module to see it
 * refused.
 */
#include <dlfcn.h>
#include <stdlib.h>

#include <p11-kit/pkcs11.h>

static void *real_dl;
static CK_FUNCTION_LIST list;
static CK_C_Sign real_sign;

static CK_RV corrupt_sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG len,
                          CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
    CK_RV rv = real_sign(session, data, len, sig, sig_len);
    if (rv == CKR_OK && sig && *sig_len > 0)
        sig[*sig_len / 2] ^= 0x01;
    return rv;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
    const char *path = getenv("TC_P11_REAL_MODULE");
    if (!path)
        return CKR_GENERAL_ERROR;
    if (!real_dl && !(real_dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
        return CKR_GENERAL_ERROR;
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(real_dl, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR real = NULL;
    if (!get || get(&real) != CKR_OK || !real)
        return CKR_GENERAL_ERROR;
    list = *real;
    real_sign = real->C_Sign;
    list.C_Sign = corrupt_sign;
    *out = &list;
    return CKR_OK;
}

/* The real module goes when this one is unloaded. */
__attribute__((destructor)) static void unload(void)
{
    if (real_dl)
        dlclose(real_dl);
}

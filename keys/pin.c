/*
 * pin.c - a program's key on a token: the user PIN as the command line says (an environment
 * variable, a file or a prompt naming the token), then the token opened with it and the PIN
 * wiped. What failed is said in one line for the program's error message.
 */
#include <stdio.h>

#include "keys.h"

enum tc_err tc_keys_pkcs11_open_pin(struct tc_signer **out, const struct tc_pkcs11_key *where,
                                    const char *pin_env, const char *pin_file, char *why,
                                    size_t cap)
{
    char prompt[TC_PKCS11_TOKEN_LABEL_MAX + 32], *pin = NULL, detail[TC_PKCS11_DETAIL_MAX + 64];
    const char *pwhy;
    size_t len = 0;
    *out = NULL;
    snprintf(prompt, sizeof prompt, "User PIN for token %s: ", where->token);
    enum tc_err e = tc_keys_passphrase(&pin, &len, pin_env, pin_file, prompt, false, &pwhy);
    if (e != TC_OK) {
        snprintf(why, cap, "PIN: %s", *pwhy ? pwhy : tc_strerror(e));
        return e;
    }
    struct tc_pkcs11_diag diag;
    e = tc_keys_pkcs11_open(out, &diag, where, pin, len);
    tc_keys_passphrase_free(pin, len);
    if (e != TC_OK) {
        tc_keys_pkcs11_why(detail, sizeof detail, e, &diag);
        snprintf(why, cap, "token %s: %s", where->token, detail);
    }
    return e;
}

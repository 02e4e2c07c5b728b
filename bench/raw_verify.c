/*
 * raw_verify.c - the ceiling for the HTTP benchmark: Ed25519 verifications per second on N
 * threads (libsodium, a 120-byte message like a certificate's Sig_structure), for SECONDS.
 * usage: raw_verify THREADS SECONDS
 */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint8_t pk[32], sk[64], sig[64], msg[120];
static atomic_long total;
static double seconds;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *run(void *arg)
{
    (void)arg;
    long n = 0;
    double t0 = now();
    while (now() - t0 < seconds)
        for (int i = 0; i < 64; i++, n++)
            if (crypto_sign_verify_detached(sig, msg, sizeof msg, pk) != 0)
                abort();
    total += n;
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    seconds = argc > 2 ? atof(argv[2]) : 3;
    if (sodium_init() < 0 || threads < 1 || threads > 64)
        return 2;
    crypto_sign_keypair(pk, sk);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
    pthread_t t[64];
    double t0 = now();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, run, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("%.0f\n", (double)total / (now() - t0));
    return 0;
}

#ifndef AADKERB_COPENSSL_SHIM_H
#define AADKERB_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/err.h>

#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

// EVP_EC_gen is a variadic macro.
static inline EVP_PKEY *copenssl_p256_generate(void) { return EVP_EC_gen("P-256"); }

// A P-256 public key from its SEC1 uncompressed encoding (65 bytes), via OSSL_PARAM.
static inline EVP_PKEY *copenssl_p256_public(const unsigned char *pub, size_t length) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx) return NULL;
    OSSL_PARAM params[3];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, length);
    params[2] = OSSL_PARAM_construct_end();
    EVP_PKEY *pkey = NULL;
    if (EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) pkey = NULL;
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

// BIO_new_mem_buf takes a const void*; a wrapper keeps the Swift side simple.
static inline BIO *copenssl_bio_from(const void *bytes, int length) {
    return BIO_new_mem_buf(bytes, length);
}
/// Initialise libcrypto without its atexit cleanup (OpenSSL 3). Must run before anything else
/// initialises OpenSSL. Returns 1 on success.
static inline int copenssl_init_without_atexit(void) {
    return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}

#endif

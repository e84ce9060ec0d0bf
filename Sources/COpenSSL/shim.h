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

// BIO_new_mem_buf takes a const void*; a wrapper keeps the Swift side simple.
static inline BIO *copenssl_bio_from(const void *bytes, int length) {
    return BIO_new_mem_buf(bytes, length);
}
#endif

#ifndef AADKERB_COPENSSLTLS_SHIM_H
#define AADKERB_COPENSSLTLS_SHIM_H
// OpenSSL's libssl, for the endpoint probe only: a second look at a server whose TLS handshake
// failed in libldap (GnuTLS), to name the real cause. Shims for the macros and stacks Swift
// cannot import.
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/err.h>
#include <arpa/inet.h>
#include <string.h>
#include <time.h>

// SSL_set_tlsext_host_name is a macro.
static inline int ctls_set_sni(SSL *ssl, const char *host) { return (int)SSL_set_tlsext_host_name(ssl, host); }

// STACK_OF(X509) accessors are macros.
static inline int ctls_chain_count(STACK_OF(X509) *chain) { return chain ? sk_X509_num(chain) : 0; }
static inline X509 *ctls_chain_at(STACK_OF(X509) *chain, int i) { return sk_X509_value(chain, i); }

static inline STACK_OF(X509) *ctls_chain_new(void) { return sk_X509_new_null(); }
static inline void ctls_chain_push(STACK_OF(X509) *chain, X509 *cert) { sk_X509_push(chain, cert); }
static inline void ctls_chain_free(STACK_OF(X509) *chain) { sk_X509_free(chain); }

/// The certificate's subjectAltName DNS names and IP addresses, one per line ("DNS:x" / "IP:y"),
/// into buf (NUL-terminated, truncated to len). Returns the number of names written.
static inline int ctls_subject_alt_names(X509 *cert, char *buf, size_t len) {
    if (len == 0) return 0;
    buf[0] = 0;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (!names) return 0;
    int written = 0;
    size_t used = 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        char item[300];
        item[0] = 0;
        if (name->type == GEN_DNS) {
            const unsigned char *data = ASN1_STRING_get0_data(name->d.dNSName);
            int n = ASN1_STRING_length(name->d.dNSName);
            if (n > 255) n = 255;
            memcpy(item, "DNS:", 4);
            memcpy(item + 4, data, (size_t)n);
            item[4 + n] = 0;
        } else if (name->type == GEN_IPADD) {
            const unsigned char *data = ASN1_STRING_get0_data(name->d.iPAddress);
            int n = ASN1_STRING_length(name->d.iPAddress);
            char text[INET6_ADDRSTRLEN] = {0};
            if (n == 4) inet_ntop(AF_INET, data, text, sizeof text);
            else if (n == 16) inet_ntop(AF_INET6, data, text, sizeof text);
            else continue;
            snprintf(item, sizeof item, "IP:%s", text);
        } else {
            continue;
        }
        size_t n = strlen(item);
        if (used + n + 2 > len) break;
        memcpy(buf + used, item, n);
        buf[used + n] = '\n';
        used += n + 1;
        buf[used] = 0;
        written++;
    }
    GENERAL_NAMES_free(names);
    return written;
}

/// Seconds since the epoch of an ASN1_TIME, or -1.
static inline long long ctls_time_epoch(const ASN1_TIME *t) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return -1;
    return (long long)timegm(&tm);
}

/// The one-line RFC 2253 form of a name into buf.
static inline void ctls_name_text(const X509_NAME *name, char *buf, int len) {
    buf[0] = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) return;
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
    int n = BIO_read(bio, buf, len - 1);
    buf[n > 0 ? n : 0] = 0;
    BIO_free(bio);
}

#endif

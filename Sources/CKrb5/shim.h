#ifndef AADKERB_CKRB5_SHIM_H
#define AADKERB_CKRB5_SHIM_H
// MIT krb5 (libkrb5) for the Tickets target: RFC 3961 crypto, PAC building and signing, and
// (tests only) storing a credential in a cache. The shims take and return plain byte buffers,
// so Swift never builds a krb5 struct itself; every key copy made here is zeroed before it is freed.
#include <krb5/krb5.h>
#include <stdlib.h>
#include <string.h>

/// A context that ignores KRB5_CONFIG and friends: only crypto and PAC calls use it, no KDC lookup.
static inline krb5_error_code ckrb5_init(krb5_context *context) { return krb5_init_secure_context(context); }

/// krb5_get_error_message for `code`, copied to `out` (NUL-terminated, truncated to `capacity`).
static inline void ckrb5_error_text(krb5_context context, krb5_error_code code, char *out, size_t capacity) {
    if (capacity == 0) return;
    const char *m = krb5_get_error_message(context, code);
    size_t n = m ? strlen(m) : 0;
    if (n > capacity - 1) n = capacity - 1;
    if (m) memcpy(out, m, n);
    out[n] = 0;
    krb5_free_error_message(context, m);
}

static inline krb5_keyblock ckrb5_keyblock(krb5_enctype enctype, const void *key, size_t length) {
    krb5_keyblock k;
    memset(&k, 0, sizeof k);
    k.magic = KV5M_KEYBLOCK;
    k.enctype = enctype;
    k.length = (unsigned int)length;
    k.contents = (krb5_octet *)key;
    return k;
}

/// The ciphertext length krb5_c_encrypt produces for `length` bytes of plaintext.
static inline krb5_error_code ckrb5_encrypt_length(krb5_context context, krb5_enctype enctype, size_t length, size_t *out) {
    return krb5_c_encrypt_length(context, enctype, length, out);
}

/// RFC 3961 encryption of `in` with the key (`enctype`, `key`), key usage `usage`; the
/// ciphertext goes to `out` (`capacity` from ckrb5_encrypt_length), its length to `*out_length`.
static inline krb5_error_code ckrb5_encrypt(krb5_context context, krb5_enctype enctype, const void *key, size_t key_length,
                                            krb5_keyusage usage, const void *in, size_t length,
                                            void *out, size_t capacity, size_t *out_length) {
    krb5_keyblock k = ckrb5_keyblock(enctype, key, key_length);
    krb5_data plain;
    krb5_enc_data cipher;
    plain.magic = KV5M_DATA; plain.length = (unsigned int)length; plain.data = (char *)in;
    memset(&cipher, 0, sizeof cipher);
    cipher.enctype = enctype;
    cipher.ciphertext.length = (unsigned int)capacity;
    cipher.ciphertext.data = (char *)out;
    krb5_error_code ret = krb5_c_encrypt(context, &k, usage, NULL, &plain, &cipher);
    *out_length = ret ? 0 : cipher.ciphertext.length;
    return ret;
}

/// The inverse of ckrb5_encrypt: `out` needs `length` bytes; the plaintext length goes to `*out_length`.
static inline krb5_error_code ckrb5_decrypt(krb5_context context, krb5_enctype enctype, const void *key, size_t key_length,
                                            krb5_keyusage usage, const void *in, size_t length,
                                            void *out, size_t capacity, size_t *out_length) {
    krb5_keyblock k = ckrb5_keyblock(enctype, key, key_length);
    krb5_enc_data cipher;
    krb5_data plain;
    memset(&cipher, 0, sizeof cipher);
    cipher.enctype = enctype;
    cipher.ciphertext.length = (unsigned int)length;
    cipher.ciphertext.data = (char *)in;
    plain.magic = KV5M_DATA; plain.length = (unsigned int)capacity; plain.data = (char *)out;
    krb5_error_code ret = krb5_c_decrypt(context, &k, usage, NULL, &cipher, &plain);
    *out_length = ret ? 0 : plain.length;
    return ret;
}

/// A keyed checksum of type `cksumtype` over `in` with key usage `usage`, copied to `out`.
static inline krb5_error_code ckrb5_checksum(krb5_context context, krb5_cksumtype cksumtype, krb5_enctype enctype,
                                             const void *key, size_t key_length, krb5_keyusage usage,
                                             const void *in, size_t length, void *out, size_t capacity, size_t *out_length) {
    krb5_keyblock k = ckrb5_keyblock(enctype, key, key_length);
    krb5_data plain;
    krb5_checksum sum;
    plain.magic = KV5M_DATA; plain.length = (unsigned int)length; plain.data = (char *)in;
    memset(&sum, 0, sizeof sum);
    krb5_error_code ret = krb5_c_make_checksum(context, cksumtype, &k, usage, &plain, &sum);
    *out_length = 0;
    if (ret) return ret;
    if (sum.length <= capacity) { memcpy(out, sum.contents, sum.length); *out_length = sum.length; }
    else ret = KRB5_BAD_MSIZE;
    krb5_free_checksum_contents(context, &sum);
    return ret;
}

/// A fresh random key of `enctype`, copied to `out`; the library's copy is zeroed and freed.
static inline krb5_error_code ckrb5_random_key(krb5_context context, krb5_enctype enctype, void *out, size_t capacity, size_t *out_length) {
    krb5_keyblock k;
    memset(&k, 0, sizeof k);
    krb5_error_code ret = krb5_c_make_random_key(context, enctype, &k);
    *out_length = 0;
    if (ret) return ret;
    if (k.length <= capacity) { memcpy(out, k.contents, k.length); *out_length = k.length; }
    else ret = KRB5_BAD_KEYSIZE;
    krb5_free_keyblock_contents(context, &k);  /* zeroes the contents before freeing them */
    return ret;
}

/// A single-component principal `name@realm` (no parsing, so '@' or '/' in a name stay literal).
static inline krb5_error_code ckrb5_principal(krb5_context context, const char *realm, const char *name, int32_t name_type,
                                              krb5_principal *out) {
    krb5_error_code ret = krb5_build_principal(context, out, (unsigned int)strlen(realm), realm, name, (char *)NULL);
    if (!ret) (*out)->type = name_type;
    return ret;
}

/// A two-component principal `first/second@realm` (krbtgt/REALM, ldap/host).
static inline krb5_error_code ckrb5_service_principal(krb5_context context, const char *realm, const char *first,
                                                      const char *second, krb5_principal *out) {
    krb5_error_code ret = krb5_build_principal(context, out, (unsigned int)strlen(realm), realm, first, second, (char *)NULL);
    if (!ret) (*out)->type = KRB5_NT_SRV_INST;
    return ret;
}

static inline krb5_error_code ckrb5_pac_add(krb5_context context, krb5_pac pac, uint32_t type, const void *bytes, size_t length) {
    krb5_data d;
    d.magic = KV5M_DATA; d.length = (unsigned int)length; d.data = (char *)bytes;
    return krb5_pac_add_buffer(context, pac, type, &d);
}

/// Signs `pac` as a KDC does for a TGT: adds PAC_CLIENT_INFO for `client` (name without the
/// realm, as Windows writes it), then the server and KDC signatures, both keyed with the
/// (krbtgt) key given, checksum type the key's mandatory one (hmac-sha1-96-aes256 for AES-256).
/// MIT's KDC signature buffer holds only the type and the checksum: no RODCIdentifier, which is
/// what Samba accepts (see docs/partial-tgt.md). The signed encoding goes to `out` (release it
/// with krb5_free_data_contents). krb5_pac_sign_ext is deprecated in favour of
/// krb5_kdc_sign_ticket, which needs a krb5_enc_tkt_part and then an encoder MIT does not export.
static inline krb5_error_code ckrb5_pac_sign(krb5_context context, krb5_pac pac, krb5_timestamp authtime, krb5_const_principal client,
                                             krb5_enctype enctype, const void *key, size_t key_length, krb5_data *out) {
    krb5_keyblock k = ckrb5_keyblock(enctype, key, key_length);
    out->length = 0; out->data = NULL;
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
    return krb5_pac_sign_ext(context, pac, authtime, client, &k, &k, FALSE, out);
#pragma clang diagnostic pop
}

/// Stores one credential (client `client_name@realm`, server krbtgt/realm@realm) in the cache
/// `ccname` (created or emptied first). For tests that hand a minted ticket to MIT's own tools.
static inline krb5_error_code ckrb5_store_tgt(krb5_context context, const char *ccname, const char *realm, const char *client_name,
                                              krb5_enctype enctype, const void *key, size_t key_length,
                                              const void *ticket, size_t ticket_length,
                                              krb5_timestamp authtime, krb5_timestamp starttime, krb5_timestamp endtime,
                                              krb5_timestamp renew_till, krb5_flags flags) {
    krb5_ccache cache = NULL;
    krb5_creds creds;
    krb5_error_code ret;
    memset(&creds, 0, sizeof creds);
    ret = krb5_cc_resolve(context, ccname, &cache);
    if (ret) return ret;
    ret = ckrb5_principal(context, realm, client_name, KRB5_NT_PRINCIPAL, &creds.client);
    if (!ret) ret = ckrb5_service_principal(context, realm, "krbtgt", realm, &creds.server);
    if (!ret) ret = krb5_cc_initialize(context, cache, creds.client);
    if (!ret) {
        creds.keyblock = ckrb5_keyblock(enctype, key, key_length);
        creds.times.authtime = authtime;
        creds.times.starttime = starttime;
        creds.times.endtime = endtime;
        creds.times.renew_till = renew_till;
        creds.ticket_flags = flags;
        creds.ticket.magic = KV5M_DATA;
        creds.ticket.length = (unsigned int)ticket_length;
        creds.ticket.data = (char *)ticket;
        ret = krb5_cc_store_cred(context, cache, &creds);
    }
    krb5_free_principal(context, creds.client);
    krb5_free_principal(context, creds.server);
    krb5_cc_close(context, cache);
    return ret;
}

#endif

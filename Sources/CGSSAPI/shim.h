#ifndef AADKERB_CGSSAPI_SHIM_H
#define AADKERB_CGSSAPI_SHIM_H
// MIT krb5's GSS-API, with shims for the macros and extern OIDs Swift cannot import as
// constants, and for the iov sealing DCE/RPC wants (one call per PDU, buffers in C arrays).
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <gssapi/gssapi_ext.h>
#include <krb5/krb5.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static inline gss_cred_id_t cgss_no_credential(void) { return GSS_C_NO_CREDENTIAL; }
static inline gss_ctx_id_t cgss_no_context(void) { return GSS_C_NO_CONTEXT; }
static inline gss_OID cgss_nt_hostbased_service(void) { return GSS_C_NT_HOSTBASED_SERVICE; }
static inline gss_OID cgss_nt_krb5_principal(void) { return (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME; }
static inline gss_OID cgss_mech_krb5(void) { return (gss_OID)gss_mech_krb5; }
static inline OM_uint32 cgss_dce_style(void) { return GSS_C_DCE_STYLE; }
static inline int cgss_is_error(OM_uint32 major) { return GSS_ERROR(major) ? 1 : 0; }
static inline OM_uint32 cgss_continue_needed(void) { return GSS_S_CONTINUE_NEEDED; }

/// Imports `name` (NUL-terminated) as a host-based service (`service@host`, hostbased != 0)
/// or as a Kerberos principal name (`service/host@REALM`).
static inline OM_uint32 cgss_import_name(OM_uint32 *minor, const char *name, int hostbased, gss_name_t *out) {
    gss_buffer_desc b;
    b.value = (void *)name;
    b.length = strlen(name);
    return gss_import_name(minor, &b, hostbased ? GSS_C_NT_HOSTBASED_SERVICE : (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, out);
}

/// One gss_init_sec_context step with `cred` (GSS_C_NO_CREDENTIAL: the default ccache's):
/// `input` may be NULL for the first call. The output token goes to `output` (release with gss_release_buffer).
static inline OM_uint32 cgss_init(OM_uint32 *minor, gss_cred_id_t cred, gss_ctx_id_t *context, gss_name_t target, OM_uint32 flags,
                                  const void *input, size_t input_length, gss_buffer_desc *output, OM_uint32 *ret_flags) {
    gss_buffer_desc in;
    in.value = (void *)input;
    in.length = input_length;
    output->value = NULL;
    output->length = 0;
    return gss_init_sec_context(minor, cred, context, target, (gss_OID)gss_mech_krb5, flags, 0,
                                GSS_C_NO_CHANNEL_BINDINGS, input ? &in : GSS_C_NO_BUFFER, NULL, output, ret_flags, NULL);
}

/// The token size gss_wrap_iov makes for `length` bytes of DCE-style sealed data.
static inline OM_uint32 cgss_wrap_token_size(OM_uint32 *minor, gss_ctx_id_t context, size_t length, size_t *size) {
    gss_iov_buffer_desc iov[2];
    int sealed = 0;
    memset(iov, 0, sizeof iov);
    iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
    iov[1].type = GSS_IOV_BUFFER_TYPE_DATA;
    iov[1].buffer.length = length;
    OM_uint32 major = gss_wrap_iov_length(minor, context, 1, GSS_C_QOP_DEFAULT, &sealed, iov, 2);
    *size = iov[0].buffer.length;
    return major;
}

/// DCE-style sealing (as Windows and Samba do): `data` is encrypted in place; `pre` and `post`
/// (the PDU header and the sec_trailer, when header signing is on; else NULL) are signed only;
/// the token (`token_size` bytes from cgss_wrap_token_size) is written to `token`.
static inline void cgss_fill_iov(gss_iov_buffer_desc iov[4], const void *pre, size_t pre_length, void *data, size_t length,
                                 const void *post, size_t post_length, void *token, size_t token_size) {
    memset(iov, 0, 4 * sizeof iov[0]);
    iov[0].type = GSS_IOV_BUFFER_TYPE_HEADER;
    iov[0].buffer.value = token;
    iov[0].buffer.length = token_size;
    iov[1].type = pre ? GSS_IOV_BUFFER_TYPE_SIGN_ONLY : GSS_IOV_BUFFER_TYPE_EMPTY;
    iov[1].buffer.value = (void *)pre;
    iov[1].buffer.length = pre ? pre_length : 0;
    iov[2].type = GSS_IOV_BUFFER_TYPE_DATA;
    iov[2].buffer.value = data;
    iov[2].buffer.length = length;
    iov[3].type = post ? GSS_IOV_BUFFER_TYPE_SIGN_ONLY : GSS_IOV_BUFFER_TYPE_EMPTY;
    iov[3].buffer.value = (void *)post;
    iov[3].buffer.length = post ? post_length : 0;
}

static inline OM_uint32 cgss_wrap(OM_uint32 *minor, gss_ctx_id_t context,
                                  const void *pre, size_t pre_length, void *data, size_t length,
                                  const void *post, size_t post_length, void *token, size_t token_size, int *sealed) {
    gss_iov_buffer_desc iov[4];
    cgss_fill_iov(iov, pre, pre_length, data, length, post, post_length, token, token_size);
    return gss_wrap_iov(minor, context, 1, GSS_C_QOP_DEFAULT, sealed, iov, 4);
}

/// The inverse of cgss_wrap: decrypts `data` in place and verifies the token over all of it.
static inline OM_uint32 cgss_unwrap(OM_uint32 *minor, gss_ctx_id_t context,
                                    const void *pre, size_t pre_length, void *data, size_t length,
                                    const void *post, size_t post_length, void *token, size_t token_size, int *sealed) {
    gss_iov_buffer_desc iov[4];
    gss_qop_t qop = 0;
    cgss_fill_iov(iov, pre, pre_length, data, length, post, post_length, token, token_size);
    return gss_unwrap_iov(minor, context, sealed, &qop, iov, 4);
}

/// The context's session key as SSPI reports it (GSS_C_INQ_SSPI_SESSION_KEY): the first
/// buffer of the set is the key. Copies at most `capacity` bytes to `key`; `length` gets its size.
static inline OM_uint32 cgss_session_key(OM_uint32 *minor, gss_ctx_id_t context, void *key, size_t capacity, size_t *length) {
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    OM_uint32 major = gss_inquire_sec_context_by_oid(minor, context, GSS_C_INQ_SSPI_SESSION_KEY, &set);
    *length = 0;
    if (GSS_ERROR(major)) return major;
    if (set == GSS_C_NO_BUFFER_SET || set->count < 1) {
        OM_uint32 m;
        gss_release_buffer_set(&m, &set);
        return GSS_S_FAILURE;
    }
    *length = set->elements[0].length;
    if (*length <= capacity) memcpy(key, set->elements[0].value, *length);
    memset(set->elements[0].value, 0, set->elements[0].length);
    OM_uint32 m;
    gss_release_buffer_set(&m, &set);
    return major;
}

/// gss_display_status for one code (major: GSS_C_GSS_CODE, else GSS_C_MECH_CODE for krb5),
/// all messages joined with "; " into `out` (NUL-terminated, truncated to `capacity`).
static inline void cgss_status_text(OM_uint32 code, int major, char *out, size_t capacity) {
    OM_uint32 context = 0, minor = 0;
    size_t used = 0;
    if (capacity == 0) return;
    out[0] = 0;
    do {
        gss_buffer_desc text = {0, NULL};
        if (GSS_ERROR(gss_display_status(&minor, code, major ? GSS_C_GSS_CODE : GSS_C_MECH_CODE,
                                         major ? GSS_C_NO_OID : (gss_OID)gss_mech_krb5, &context, &text))) break;
        if (used > 0 && used + 2 < capacity) { memcpy(out + used, "; ", 2); used += 2; }
        size_t n = text.length < capacity - 1 - used ? text.length : capacity - 1 - used;
        memcpy(out + used, text.value, n);
        used += n;
        out[used] = 0;
        gss_release_buffer(&minor, &text);
    } while (context != 0);
}

/// The default credential's principal (from the ccache), or an error if there is none.
static inline OM_uint32 cgss_default_principal(OM_uint32 *minor, char *out, size_t capacity) {
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    gss_name_t name = GSS_C_NO_NAME;
    OM_uint32 m, major = gss_acquire_cred(minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_INITIATE, &cred, NULL, NULL);
    if (GSS_ERROR(major)) return major;
    major = gss_inquire_cred(minor, cred, &name, NULL, NULL, NULL);
    if (!GSS_ERROR(major)) {
        gss_buffer_desc text = {0, NULL};
        major = gss_display_name(minor, name, &text, NULL);
        if (!GSS_ERROR(major) && capacity > 0) {
            size_t n = text.length < capacity - 1 ? text.length : capacity - 1;
            memcpy(out, text.value, n);
            out[n] = 0;
        }
        gss_release_buffer(&m, &text);
        gss_release_name(&m, &name);
    }
    gss_release_cred(&m, &cred);
    return major;
}

/// An initiator credential from the credential cache named `ccache` (e.g. "MEMORY:abc"), not
/// the default one: gss_acquire_cred_from with the cred store {ccache}. Release with gss_release_cred.
static inline OM_uint32 cgss_acquire_from_ccache(OM_uint32 *minor, const char *ccache, gss_cred_id_t *cred) {
    gss_key_value_element_desc element = { "ccache", ccache };
    gss_key_value_set_desc store = { 1, &element };
    *cred = GSS_C_NO_CREDENTIAL;
    return gss_acquire_cred_from(minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, GSS_C_INITIATE, &store, cred, NULL, NULL);
}

// MARK: a TGT and a service ticket from a password, into a MEMORY ccache, over a transport of the caller's.
//
// MIT's step APIs (krb5_init_creds_step, krb5_tkt_creds_step) make each KDC request and take
// its reply; the caller sends them to the one KDC it chose (the DC's address), so no profile,
// DNS or environment decides where they go. The context is a secure one (KRB5_CONFIG and
// KRB5CCNAME play no part). Nothing is written to disk: the cache is a MEMORY one, destroyed by
// cgss_kinit_free. The password is copied by krb5 (which zeroes its copy when freed).

typedef struct cgss_kinit {
    krb5_context context;
    krb5_principal client;
    krb5_principal server;
    krb5_ccache ccache;
    krb5_get_init_creds_opt *options;
    krb5_init_creds_context as;
    krb5_tkt_creds_context tgs;
    krb5_data out;
    int phase;  /* 0: AS exchange (the TGT); 1: TGS exchange (the service ticket); 2: done */
} cgss_kinit;

static inline void cgss_kinit_free(cgss_kinit *k) {
    if (!k) return;
    if (k->context) {
        krb5_free_data_contents(k->context, &k->out);
        if (k->tgs) krb5_tkt_creds_free(k->context, k->tgs);
        if (k->as) krb5_init_creds_free(k->context, k->as);
        if (k->options) krb5_get_init_creds_opt_free(k->context, k->options);
        if (k->ccache) krb5_cc_destroy(k->context, k->ccache);
        if (k->server) krb5_free_principal(k->context, k->server);
        if (k->client) krb5_free_principal(k->context, k->client);
        krb5_free_context(k->context);
    }
    free(k);
}

/// krb5_get_error_message for `code` in the kinit's context, copied to `out` (NUL-terminated).
static inline void cgss_kinit_error_text(cgss_kinit *k, krb5_error_code code, char *out, size_t capacity) {
    if (capacity == 0) return;
    out[0] = 0;
    if (!k || !k->context) return;
    const char *m = krb5_get_error_message(k->context, code);
    size_t n = m ? strlen(m) : 0;
    if (n > capacity - 1) n = capacity - 1;
    if (m) memcpy(out, m, n);
    out[n] = 0;
    krb5_free_error_message(k->context, m);
}

/// Sets up the exchanges: client `name@realm` (one component, so '@' and '/' in `name` stay
/// literal; an enterprise name, i.e. a UPN, when `enterprise`, asked to be canonicalized),
/// service `service` (a full principal name with its realm), a new MEMORY cache, and the
/// password. `*out` is set even on failure (for the error text); free it with cgss_kinit_free.
static inline krb5_error_code cgss_kinit_new(const char *name, const char *realm, int enterprise, const char *service,
                                             const char *password, cgss_kinit **out) {
    krb5_error_code ret;
    cgss_kinit *k = (cgss_kinit *)calloc(1, sizeof *k);
    *out = k;
    if (!k) return ENOMEM;
    ret = krb5_init_secure_context(&k->context);
    if (ret) { k->context = NULL; return ret; }
    ret = krb5_build_principal(k->context, &k->client, (unsigned int)strlen(realm), realm, name, (char *)NULL);
    if (ret) return ret;
    k->client->type = enterprise ? KRB5_NT_ENTERPRISE_PRINCIPAL : KRB5_NT_PRINCIPAL;
    ret = krb5_parse_name(k->context, service, &k->server);
    if (ret) return ret;
    ret = krb5_cc_new_unique(k->context, "MEMORY", NULL, &k->ccache);
    if (ret) return ret;
    ret = krb5_get_init_creds_opt_alloc(k->context, &k->options);
    if (ret) return ret;
    if (enterprise) krb5_get_init_creds_opt_set_canonicalize(k->options, 1);
    ret = krb5_init_creds_init(k->context, k->client, NULL, NULL, 0, k->options, &k->as);
    if (ret) return ret;
    return krb5_init_creds_set_password(k->context, k->as, password);
}

/// The phase the next step belongs to (0 AS, 1 TGS, 2 done): an error's meaning depends on it.
static inline int cgss_kinit_phase(const cgss_kinit *k) { return k->phase; }

/// One step: `reply` is the KDC's answer to the last request (NULL and 0 on the first call).
/// On return `*request` / `*request_length` is the next request to send (valid until the next
/// call), or length 0 when both tickets are in the cache (phase 2).
static inline krb5_error_code cgss_kinit_step(cgss_kinit *k, const void *reply, size_t reply_length,
                                              const void **request, size_t *request_length) {
    krb5_error_code ret;
    krb5_data in, realm;
    unsigned int flags = 0;
    *request = NULL;
    *request_length = 0;
    krb5_free_data_contents(k->context, &k->out);
    in.magic = KV5M_DATA; in.length = (unsigned int)reply_length; in.data = (char *)reply;
    memset(&realm, 0, sizeof realm);
    if (k->phase == 0) {
        ret = krb5_init_creds_step(k->context, k->as, &in, &k->out, &realm, &flags);
        krb5_free_data_contents(k->context, &realm);
        if (ret) return ret;
        if (flags & KRB5_INIT_CREDS_STEP_FLAG_CONTINUE) goto next;
        /* The TGT: into the cache, under the client name the KDC gave (canonicalized for a UPN). */
        krb5_creds tgt;
        memset(&tgt, 0, sizeof tgt);
        ret = krb5_init_creds_get_creds(k->context, k->as, &tgt);
        if (ret) return ret;
        ret = krb5_cc_initialize(k->context, k->ccache, tgt.client);
        if (!ret) ret = krb5_cc_store_cred(k->context, k->ccache, &tgt);
        if (!ret) {
            krb5_creds want;
            memset(&want, 0, sizeof want);
            want.client = tgt.client;
            want.server = k->server;
            ret = krb5_tkt_creds_init(k->context, k->ccache, &want, 0, &k->tgs);
        }
        krb5_free_cred_contents(k->context, &tgt);
        if (ret) return ret;
        k->phase = 1;
        memset(&in, 0, sizeof in);
        in.magic = KV5M_DATA;
    }
    if (k->phase == 1) {
        ret = krb5_tkt_creds_step(k->context, k->tgs, &in, &k->out, &realm, &flags);
        krb5_free_data_contents(k->context, &realm);
        if (ret) return ret;
        if (flags & KRB5_TKT_CREDS_STEP_FLAG_CONTINUE) goto next;
        k->phase = 2;  /* krb5_tkt_creds_step stored the service ticket in the cache */
        return 0;
    }
    return 0;
next:
    *request = k->out.data;
    *request_length = k->out.length;
    return 0;
}

/// The cache's full name ("MEMORY:<random>"), for cgss_acquire_from_ccache.
static inline krb5_error_code cgss_kinit_ccache_name(cgss_kinit *k, char *out, size_t capacity) {
    char *name = NULL;
    krb5_error_code ret = krb5_cc_get_full_name(k->context, k->ccache, &name);
    if (ret) return ret;
    size_t n = strlen(name);
    if (n + 1 > capacity) { krb5_free_string(k->context, name); return KRB5_CC_NOMEM; }
    memcpy(out, name, n + 1);
    krb5_free_string(k->context, name);
    return 0;
}

/// The service ticket's server principal as cached, unparsed (the GSS target name that finds it).
static inline krb5_error_code cgss_kinit_service_name(cgss_kinit *k, char *out, size_t capacity) {
    krb5_creds creds;
    char *name = NULL;
    memset(&creds, 0, sizeof creds);
    krb5_error_code ret = krb5_tkt_creds_get_creds(k->context, k->tgs, &creds);
    if (ret) return ret;
    ret = krb5_unparse_name(k->context, creds.server, &name);
    krb5_free_cred_contents(k->context, &creds);
    if (ret) return ret;
    size_t n = strlen(name);
    if (n + 1 > capacity) { krb5_free_unparsed_name(k->context, name); return KRB5_CC_NOMEM; }
    memcpy(out, name, n + 1);
    krb5_free_unparsed_name(k->context, name);
    return 0;
}

#endif

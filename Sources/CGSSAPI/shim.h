#ifndef AADKERB_CGSSAPI_SHIM_H
#define AADKERB_CGSSAPI_SHIM_H
// MIT krb5's GSS-API, with shims for the macros and extern OIDs Swift cannot import as
// constants, and for the iov sealing DCE/RPC wants (one call per PDU, buffers in C arrays).
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <gssapi/gssapi_ext.h>
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

/// One gss_init_sec_context step with the default credential (the ccache): `input` may be
/// NULL for the first call. The output token goes to `output` (release with gss_release_buffer).
static inline OM_uint32 cgss_init(OM_uint32 *minor, gss_ctx_id_t *context, gss_name_t target, OM_uint32 flags,
                                  const void *input, size_t input_length, gss_buffer_desc *output, OM_uint32 *ret_flags) {
    gss_buffer_desc in;
    in.value = (void *)input;
    in.length = input_length;
    output->value = NULL;
    output->length = 0;
    return gss_init_sec_context(minor, GSS_C_NO_CREDENTIAL, context, target, (gss_OID)gss_mech_krb5, flags, 0,
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

#endif

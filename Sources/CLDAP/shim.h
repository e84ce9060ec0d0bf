#ifndef AADKERB_CLDAP_SHIM_H
#define AADKERB_CLDAP_SHIM_H
// Shims for libldap macros and variadic/deprecated calls that Swift cannot import.
#include <ldap.h>
#include <lber.h>

static inline void *cldap_opt_on(void) { return LDAP_OPT_ON; }
static inline void *cldap_opt_off(void) { return LDAP_OPT_OFF; }
// LDAP_OPT_X_TLS_PROTOCOL_TLS1_2 is an expression macro.
static inline int cldap_tls_protocol_tls1_2(void) { return LDAP_OPT_X_TLS_PROTOCOL_TLS1_2; }

// LDAPMod.mod_bvalues is a macro over a union member.
static inline void cldap_mod_set_bvalues(LDAPMod *mod, struct berval **values) {
    mod->mod_bvalues = values;
}

// Simple bind: LDAP_SASL_SIMPLE is a macro for a NULL mechanism.
static inline int cldap_simple_bind_s(LDAP *ld, const char *dn, struct berval *password,
                                      LDAPControl **serverControls) {
    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, password, serverControls, NULL, NULL);
}

// SASL interaction callback for GSSAPI: every value comes from the Kerberos ticket cache,
// so nothing is ever prompted for; answering "no value" to any prompt keeps the defaults.
static int cldap_sasl_no_interaction(LDAP *ld, unsigned flags, void *defaults, void *interact) {
    (void)ld; (void)flags; (void)defaults; (void)interact;
    return LDAP_SUCCESS;
}

static inline int cldap_sasl_gssapi_bind_s(LDAP *ld) {
    return ldap_sasl_interactive_bind_s(ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET,
                                        cldap_sasl_no_interaction, NULL);
}

#endif

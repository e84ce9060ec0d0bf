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

// Connection watch: bounds connect + TLS handshake, which LDAP_OPT_NETWORK_TIMEOUT does not
// (an ldaps:// server that accepts TCP and then stays silent kept GnuTLS spinning until the
// peer closed). The connect callback records the socket right after TCP connect, before TLS;
// a watchdog may then shutdown() it, which ends the handshake at once. lc_del runs before
// libldap closes the socket, so the watchdog never touches a closed (or reused) descriptor.
//
// The same callback clears the handle's network timeout, which has bounded the TCP connect by
// then: with a network timeout set, libldap 2.5 (ldap_int_tls_start) makes the socket
// non-blocking for the handshake but polls it only for asynchronous connects, so a synchronous
// handshake calls gnutls_handshake in a loop of reads answered EAGAIN, a core busy for every
// round trip it waits (one per handshake, the whole connect timeout on a silent server). Left
// blocking, the handshake sleeps in read() and the watchdog still ends it. LDAPConnection sets
// the timeout again once the connect returns.
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

typedef struct cldap_watch {
    pthread_mutex_t lock;
    int fd;          // the connection's socket while libldap owns it, else -1
    int connected;   // TCP connect succeeded at least once
    int done;        // the guarded call returned: the watchdog must not act
    int fired;       // the watchdog shut the socket down
    struct ldap_conncb callbacks;
} cldap_watch;

static inline int cldap_watch_add(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr,
                                  struct ldap_conncb *ctx) {
    (void)srv; (void)addr;
    cldap_watch *w = (cldap_watch *)ctx->lc_arg;
    // the handshake blocks (see above); -1 s is libldap's "no timeout" (NULL is refused in 2.5)
    struct timeval none = { -1, 0 };
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &none);
    ber_socket_t fd = -1;
    ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd);
    pthread_mutex_lock(&w->lock);
    w->fd = fd;
    w->connected = 1;
    pthread_mutex_unlock(&w->lock);
    return 0;
}

static inline void cldap_watch_del(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx) {
    (void)ld; (void)sb;
    cldap_watch *w = (cldap_watch *)ctx->lc_arg;
    pthread_mutex_lock(&w->lock);
    w->fd = -1;
    pthread_mutex_unlock(&w->lock);
}

static inline cldap_watch *cldap_watch_new(void) {
    cldap_watch *w = (cldap_watch *)calloc(1, sizeof(cldap_watch));
    if (!w) return NULL;
    pthread_mutex_init(&w->lock, NULL);
    w->fd = -1;
    w->callbacks.lc_add = cldap_watch_add;
    w->callbacks.lc_del = cldap_watch_del;
    w->callbacks.lc_arg = w;
    return w;
}

static inline int cldap_watch_install(LDAP *ld, cldap_watch *w) {
    return ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &w->callbacks);
}

/// Arms the watch for one guarded call.
static inline void cldap_watch_arm(cldap_watch *w) {
    pthread_mutex_lock(&w->lock);
    w->done = 0;
    w->fired = 0;
    pthread_mutex_unlock(&w->lock);
}

/// The guarded call returned; returns whether the watchdog had fired.
static inline int cldap_watch_disarm(cldap_watch *w) {
    pthread_mutex_lock(&w->lock);
    w->done = 1;
    int fired = w->fired;
    pthread_mutex_unlock(&w->lock);
    return fired;
}

/// The deadline passed: shut the socket down if the guarded call is still running.
static inline void cldap_watch_fire(cldap_watch *w) {
    pthread_mutex_lock(&w->lock);
    if (!w->done && w->fd >= 0) {
        shutdown(w->fd, SHUT_RDWR);
        w->fired = 1;
    }
    pthread_mutex_unlock(&w->lock);
}

static inline int cldap_watch_connected(cldap_watch *w) {
    pthread_mutex_lock(&w->lock);
    int c = w->connected;
    pthread_mutex_unlock(&w->lock);
    return c;
}

static inline void cldap_watch_free(cldap_watch *w) {
    if (!w) return;
    pthread_mutex_destroy(&w->lock);
    free(w);
}

#endif

// glibc's stub resolver: res_ninit/res_nquery/dn_expand (libc since glibc 2.34) and the
// ns_initparse/ns_parserr message parser (libresolv), with small wrappers for what Swift cannot
// reach: the macros of <arpa/nameser.h> and the IPv6 slots of struct __res_state.
#ifndef AADKERB_CRESOLV_SHIM_H
#define AADKERB_CRESOLV_SHIM_H
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

/// A resolver state of its own, initialised from /etc/resolv.conf (every nameserver, its
/// options); NULL if that fails. Free with aadkerb_res_free.
static inline struct __res_state *aadkerb_res_new(void) {
    struct __res_state *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    if (res_ninit(s) != 0) { res_nclose(s); free(s); return NULL; }
    return s;
}

static inline void aadkerb_res_free(struct __res_state *s) {
    if (s == NULL) return;
    res_nclose(s);  // closes its sockets and frees the IPv6 server addresses
    free(s);
}

/// Replaces resolv.conf's servers with the caller's (at most MAXNS, IPv4 or IPv6, each with its
/// port). glibc keeps an IPv6 server in _u._ext.nsaddrs[i] with nsaddr_list[i].sin_family 0, and
/// uses a state changed after res_ninit as it is. 0, or -1 when out of memory or a family is
/// neither.
static inline int aadkerb_res_set_server(struct __res_state *s, int index, const struct sockaddr *address) {
    if (index < 0 || index >= MAXNS) return -1;
    if (index == 0) {
        for (int i = 0; i < MAXNS; i++) { free(s->_u._ext.nsaddrs[i]); s->_u._ext.nsaddrs[i] = NULL; }
        memset(s->nsaddr_list, 0, sizeof s->nsaddr_list);
        s->_u._ext.nscount = 0;
        s->nscount = 0;
    }
    if (address->sa_family == AF_INET) {
        memcpy(&s->nsaddr_list[index], address, sizeof(struct sockaddr_in));
    } else if (address->sa_family == AF_INET6) {
        struct sockaddr_in6 *six = malloc(sizeof *six);
        if (six == NULL) return -1;
        memcpy(six, address, sizeof *six);
        s->nsaddr_list[index].sin_family = 0;
        s->_u._ext.nsaddrs[index] = six;
    } else {
        return -1;
    }
    s->nscount = index + 1;
    return 0;
}

/// Per-try timeout (seconds) and number of rounds over the servers.
static inline void aadkerb_res_set_timing(struct __res_state *s, int seconds, int attempts) {
    s->retrans = seconds < 1 ? 1 : seconds;
    s->retry = attempts < 1 ? 1 : attempts;
}

static inline int aadkerb_res_server_count(const struct __res_state *s) { return s->nscount; }

/// The resolver's h_errno after a failed res_nquery (HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, NO_RECOVERY).
static inline int aadkerb_res_h_errno(const struct __res_state *s) { return s->res_h_errno; }

/// Server i's address as text ("192.0.2.1", "2001:db8::1"), for messages.
static inline int aadkerb_res_server_text(const struct __res_state *s, int i, char *out, socklen_t size, unsigned short *port) {
    if (i < 0 || i >= s->nscount) return -1;
    if (s->nsaddr_list[i].sin_family == AF_INET) {
        *port = ntohs(s->nsaddr_list[i].sin_port);
        return getnameinfo((const struct sockaddr *)&s->nsaddr_list[i], sizeof(struct sockaddr_in), out, size, NULL, 0, NI_NUMERICHOST);
    }
    if (s->_u._ext.nsaddrs[i] != NULL) {
        *port = ntohs(s->_u._ext.nsaddrs[i]->sin6_port);
        return getnameinfo((const struct sockaddr *)s->_u._ext.nsaddrs[i], sizeof(struct sockaddr_in6), out, size, NULL, 0, NI_NUMERICHOST);
    }
    return -1;
}

// <arpa/nameser.h>'s accessor macros.
static inline int aadkerb_ns_count(const ns_msg *m, ns_sect section) { return ns_msg_count(*m, section); }
static inline int aadkerb_ns_rcode(const ns_msg *m) { return ns_msg_getflag(*m, ns_f_rcode); }
static inline int aadkerb_ns_truncated(const ns_msg *m) { return ns_msg_getflag(*m, ns_f_tc); }
static inline int aadkerb_ns_is_response(const ns_msg *m) { return ns_msg_getflag(*m, ns_f_qr); }
static inline const unsigned char *aadkerb_ns_base(const ns_msg *m) { return ns_msg_base(*m); }
static inline const unsigned char *aadkerb_ns_end(const ns_msg *m) { return ns_msg_end(*m); }

#endif

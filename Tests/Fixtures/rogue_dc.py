#!/usr/bin/env python3
"""A rogue "DC" for aadkerb's security tests (Tests/IntegrationTests/RogueDCTests.swift).

A DNS server on IP:53 (UDP and TCP) that answers _ldap._tcp[.<site>._sites].dc._msdcs.<domain>
SRV queries with the targets given, and an LDAPS listener on LDAP_IP:636 that answers an
anonymous root DSE read, refuses every bind (invalidCredentials), and writes one line per
request to LOG: "search", "bind <dn>", "extended <oid>". It never writes what a bind carried; it
writes "PASSWORD-SEEN" if the bytes of PASSWORD_FILE arrive in any request.

  rogue_dc.py --dns-ip IP --ldap-ip IP --domain D --target HOST[,HOST] --cert C --key K
              --password-file F --log LOG [--dns-from-other-port]

--dns-from-other-port answers each UDP query from another socket (another source port), as
an off-path spoofer would. Runs until killed. Loopback addresses only.
"""
import argparse, socket, ssl, struct, threading, sys

p = argparse.ArgumentParser()
p.add_argument("--dns-ip", required=True)
p.add_argument("--ldap-ip", required=True)
p.add_argument("--domain", required=True)
p.add_argument("--target", required=True)
p.add_argument("--cert", required=True)
p.add_argument("--key", required=True)
p.add_argument("--password-file", required=True)
p.add_argument("--log", required=True)
p.add_argument("--dns-from-other-port", action="store_true")
a = p.parse_args()
for ip in (a.dns_ip, a.ldap_ip):
    assert ip.startswith("127."), "loopback only"
targets = a.target.split(",")
password = open(a.password_file, "rb").read().strip()
lock = threading.Lock()

def log(line):
    with lock, open(a.log, "a") as f:
        f.write(line + "\n")

# --- DNS -------------------------------------------------------------------------------------
def name_bytes(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"

def read_qname(d, o):
    labels = []
    while d[o]:
        labels.append(d[o + 1:o + 1 + d[o]].decode()); o += 1 + d[o]
    return ".".join(labels), o + 1

def dns_answer(q):
    qid = q[:2]
    qname, end = read_qname(q, 12)
    question = q[12:end + 4]
    suffix = "dc._msdcs." + a.domain
    if not qname.lower().endswith(suffix.lower()) or not qname.lower().startswith("_ldap._tcp."):
        return qid + b"\x81\x83" + b"\0\x01\0\0\0\0\0\0" + question  # NXDOMAIN
    answers = b""
    for t in targets:
        rdata = struct.pack(">HHH", 0, 100, 636) + name_bytes(t)
        answers += b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 60, len(rdata)) + rdata
    return qid + b"\x81\x80" + struct.pack(">HHHH", 1, len(targets), 0, 0) + question + answers

def dns_udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.dns_ip, 53))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind((a.dns_ip, 0))
    while True:
        q, peer = s.recvfrom(512)
        try:
            log("dns " + read_qname(q, 12)[0])
            (other if a.dns_from_other_port else s).sendto(dns_answer(q), peer)
        except Exception as e:
            log("dns-error %r" % e)

def dns_tcp():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.dns_ip, 53)); s.listen(8)
    while True:
        c, _ = s.accept()
        try:
            n = struct.unpack(">H", c.recv(2))[0]
            q = b""
            while len(q) < n: q += c.recv(n - len(q))
            r = dns_answer(q)
            c.sendall(struct.pack(">H", len(r)) + r)
        except Exception as e:
            log("dns-error %r" % e)
        finally:
            c.close()

# --- LDAP (BER) ------------------------------------------------------------------------------
def ber_len(n):
    if n < 0x80: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b

def tlv(tag, value): return bytes([tag]) + ber_len(len(value)) + value
def integer(n): return tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big"))
def octets(s): return tlv(0x04, s if isinstance(s, bytes) else s.encode())
def enum(n): return tlv(0x0a, bytes([n]))

def read_tlv(d, o):
    tag = d[o]; o += 1
    n = d[o]; o += 1
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(d[o:o + k], "big"); o += k
    return tag, d[o:o + n], o + n

def read_message(conn):
    head = conn.recv(2)
    if len(head) < 2: return None
    n = head[1]; extra = b""
    if n & 0x80:
        extra = conn.recv(n & 0x7f); n = int.from_bytes(extra, "big")
    body = b""
    while len(body) < n:
        chunk = conn.recv(n - len(body))
        if not chunk: return None
        body += chunk
    return head + extra + body

def result(msgid, tag, code, text=""):
    return tlv(0x30, integer(msgid) + tlv(tag, enum(code) + octets("") + octets(text)))

def base_dn(): return ",".join("DC=" + x for x in a.domain.split("."))

def handle(conn):
    while True:
        msg = read_message(conn)
        if msg is None: return
        if password and password in msg: log("PASSWORD-SEEN")
        _, body, _ = read_tlv(msg, 0)
        _, idbytes, o = read_tlv(body, 0)
        msgid = int.from_bytes(idbytes, "big")
        op = body[o]
        _, opbody, _ = read_tlv(body, o)
        if op == 0x60:  # BindRequest
            _, _, p2 = read_tlv(opbody, 0)
            _, dn, _ = read_tlv(opbody, p2)
            log("bind " + dn.decode(errors="replace"))
            conn.sendall(result(msgid, 0x61, 49, "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 52e, v4563"))
        elif op == 0x63:  # SearchRequest: answer as a root DSE
            log("search")
            attrs = tlv(0x30, octets("dnsHostName") + tlv(0x31, octets(targets[0]))) + \
                    tlv(0x30, octets("defaultNamingContext") + tlv(0x31, octets(base_dn())))
            conn.sendall(tlv(0x30, integer(msgid) + tlv(0x64, octets("") + tlv(0x30, attrs))))
            conn.sendall(result(msgid, 0x65, 0))
        elif op == 0x77:
            log("extended")
            conn.sendall(result(msgid, 0x78, 2, "not supported"))
        elif op == 0x42:
            return
        else:
            log("op %#x" % op)
            conn.sendall(result(msgid, 0x65, 53))

def ldaps():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.ldap_ip, 636)); s.listen(16)
    while True:
        raw, _ = s.accept()
        def serve(raw=raw):
            try:
                with ctx.wrap_socket(raw, server_side=True) as c:
                    log("tls")
                    handle(c)
            except Exception as e:
                log("ldap-error %s" % type(e).__name__)
        threading.Thread(target=serve, daemon=True).start()

for f in (dns_udp, dns_tcp, ldaps):
    threading.Thread(target=f, daemon=True).start()
log("ready")
threading.Event().wait()

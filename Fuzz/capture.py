#!/usr/bin/env python3
"""Fuzz seeds from a running scripts/samba-dc DC (its `env` in the environment: DC_IP, DC_DNSDOMAIN...):
DNS answers from Samba's DNS server, KDC replies (KRB-ERROR, TGS-REP) from its KDC, and the
krbtgt account's replPropertyMetaData over LDAPS. Writes OUT/<target>/samba-*.bin.

    Fuzz/capture.py OUT

The DC is a throw-away test DC. The KDC replies hold only what crosses the wire (tickets and
enc-parts encrypted with keys this script does not save); the Administrator password is read from
its 0600 file, never from argv. Called by `scripts/fuzz --capture`."""
import base64
import os
import random
import socket
import struct
import subprocess
import sys

out = sys.argv[1]
ip, domain, realm = os.environ["DC_IP"], os.environ["DC_DNSDOMAIN"], os.environ["DC_REALM"]


def save(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)
    print(f"capture: {target}/{name} ({len(data)} bytes)")


# --- DNS: the SRV question aadkerb asks (Fuzz/Sources/fuzz-dns-answer names it), over UDP and TCP,
# and a name that does not exist.
def question(name, qtype=33):
    q = struct.pack("!HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)


def udp(packet):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.connect((ip, 53))
        s.send(packet)
        return s.recv(65535)


def tcp(packet):
    with socket.create_connection((ip, 53), timeout=5) as s:
        s.sendall(struct.pack("!H", len(packet)) + packet)
        n = struct.unpack("!H", recv_all(s, 2))[0]
        return recv_all(s, n)


def recv_all(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


srv = f"_ldap._tcp.dc._msdcs.{domain}"
save("dns-answer", "samba-srv-udp.bin", udp(question(srv)))
save("dns-answer", "samba-srv-tcp.bin", tcp(question(srv)))
save("dns-answer", "samba-nxdomain.bin", udp(question(f"_ldap._tcp.nosuchsite._sites.dc._msdcs.{domain}")))
save("dns-answer", "samba-srv-no-records-a.bin", udp(question(srv, qtype=1)))

# --- KDC: impacket speaks Kerberos; its KDC exchange is wrapped to keep every raw reply.
from impacket.krb5 import constants, kerberosv5  # noqa: E402
from impacket.krb5.asn1 import KRB_ERROR  # noqa: E402
from impacket.krb5.kerberosv5 import KerberosError  # noqa: E402
from impacket.krb5.types import Principal  # noqa: E402
from pyasn1.codec.der import decoder  # noqa: E402

replies = []


def send_receive(data, host, kdc_host, port=88):
    with socket.create_connection((kdc_host or host, port), timeout=10) as s:
        s.sendall(struct.pack("!i", len(data)) + data)
        r = recv_all(s, struct.unpack("!i", recv_all(s, 4))[0])
    replies.append(r)
    try:
        error = KerberosError(packet=decoder.decode(r, asn1Spec=KRB_ERROR())[0])
    except Exception:
        return r
    if error.getErrorCode() != constants.ErrorCodes.KDC_ERR_PREAUTH_REQUIRED.value:
        raise error
    return r


kerberosv5.sendReceive = send_receive
with open(os.environ["DC_ADMIN_PASSWORD_FILE"]) as f:
    password = f.read().strip()
admin = Principal("Administrator", type=constants.PrincipalNameType.NT_PRINCIPAL.value)
tgt, cipher, _, session_key = kerberosv5.getKerberosTGT(admin, password, realm, "", "", kdcHost=ip)
del password
preauth = next(r for r in replies if r[0] == 0x7E)  # [APPLICATION 30]: PREAUTH_REQUIRED with ETYPE-INFO2
save("kdc-reply", "samba-krb-error-preauth-required.bin", preauth)
save("kdc-reply", "samba-as-rep.bin", next(r for r in replies if r[0] == 0x6B))  # [APPLICATION 11]
# TGS exchanges: a TGS-REP [APPLICATION 13] where impacket's TGS-REQ is accepted, else the
# KRB-ERROR the KDC answers (Samba 4.17 answers impacket's with KRB_AP_ERR_INAPP_CKSUM); and a
# service that does not exist (KDC_ERR_S_PRINCIPAL_UNKNOWN).
for name, principal in [("ldap", f"ldap/{os.environ['DC_FQDN']}"), ("unknown-service", f"host/no-such-host.{domain}")]:
    replies.clear()
    try:
        kerberosv5.getKerberosTGS(Principal(principal, type=constants.PrincipalNameType.NT_SRV_INST.value), realm, ip, tgt, cipher, session_key)
    except KerberosError as e:
        print(f"capture: TGS for {name}: {e.getErrorString()[0]}")
    kind = "tgs-rep" if replies[-1][0] == 0x6D else "krb-error"
    save("kdc-reply", f"samba-tgs-{name}-{kind}.bin", replies[-1])

# --- replPropertyMetaData of krbtgt, over LDAPS as Administrator (password file, not argv).
ldif = subprocess.run(
    ["ldapsearch", "-x", "-LLL", "-o", "ldif-wrap=no", "-H", os.environ["DC_URI"], "-D", os.environ["DC_ADMIN_UPN"],
     "-y", os.environ["DC_ADMIN_PASSWORD_FILE"], "-b", f"CN=krbtgt,CN=Users,{os.environ['DC_BASEDN']}", "-s", "base",
     "(objectClass=*)", "replPropertyMetaData"],
    env={**os.environ, "LDAPTLS_CACERT": os.environ["DC_CACERT"]}, check=True, capture_output=True, text=True).stdout
value = next(line.split(":: ", 1)[1] for line in ldif.splitlines() if line.startswith("replPropertyMetaData:: "))
save("repl-metadata", "samba-krbtgt.bin", base64.b64decode(value))

#!/usr/bin/env python3
"""A TLS server that shows a certificate with one known fault, for the tests of aadkerb's TLS
error messages (issue: first contact, 2.1). It completes the handshake on each connection, then
closes. Certificates are made here with `cryptography` (installed with impacket), each run anew.

usage: tls_server.py IP PORT KIND DIR
  KIND: good | expired | wrongname | unknownissuer | selfsigned
  DIR:  where ca.pem (the CA to pass as --ca-file) is written; "ready" is written to DIR/ready
Stops by itself after 120 s.
"""
import datetime
import ipaddress
import os
import socket
import ssl
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ip, port, kind, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
now = datetime.datetime.now(datetime.timezone.utc)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "aadkerb tls test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def certificate(subject, key, issuer, issuer_key, not_before, not_after, names, ca):
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


ca_key = ec.generate_private_key(ec.SECP256R1())
ca = certificate(name("tls test CA"), ca_key, name("tls test CA"), ca_key,
                 now - datetime.timedelta(days=1), now + datetime.timedelta(days=30), [], True)
leaf_key = ec.generate_private_key(ec.SECP256R1())
names = [x509.DNSName("dc.tls-test.example"), x509.IPAddress(ipaddress.ip_address(ip))]
valid = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=30))
if kind == "expired":
    valid = (now - datetime.timedelta(days=60), now - datetime.timedelta(days=30))
if kind == "wrongname":
    names = [x509.DNSName("other.tls-test.example")]
issuer, issuer_key = name("tls test CA"), ca_key
if kind == "unknownissuer":
    other_key = ec.generate_private_key(ec.SECP256R1())
    issuer, issuer_key = name("another CA"), other_key
if kind == "selfsigned":
    issuer, issuer_key = name("dc.tls-test.example"), leaf_key
leaf = certificate(name("dc.tls-test.example") if kind == "selfsigned" else name("dc.tls-test.example"),
                   leaf_key, issuer, issuer_key, valid[0], valid[1], names, False)

with open(os.path.join(directory, "ca.pem"), "wb") as f:
    f.write(ca.public_bytes(serialization.Encoding.PEM))
with open(os.path.join(directory, "leaf.pem"), "wb") as f:
    f.write(leaf.public_bytes(serialization.Encoding.PEM))
with open(os.path.join(directory, "leaf.key"), "wb") as f:
    f.write(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(os.path.join(directory, "leaf.pem"), os.path.join(directory, "leaf.key"))
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((ip, port))
listener.listen(16)
listener.settimeout(1)
threading.Timer(120, lambda: os._exit(0)).start()
with open(os.path.join(directory, "ready"), "w") as f:
    f.write("ready\n")
while True:
    try:
        connection, _ = listener.accept()
    except socket.timeout:
        continue
    connection.settimeout(5)
    try:
        with context.wrap_socket(connection, server_side=True) as tls:
            tls.recv(1)  # until the client gives up on the certificate
    except (ssl.SSLError, OSError):
        pass
    finally:
        connection.close()

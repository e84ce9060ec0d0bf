#!/usr/bin/python3
"""Oracle: the Kerberos keys Samba holds for an account, read from its database with Samba's own
Python bindings (root; the DC may be running). Prints JSON: salt, current and previous AES-256 keys.

usage: samba-keys.py DC_DIR sAMAccountName
"""
import json, sys
from samba.samdb import SamDB
from samba.auth import system_session
from samba.param import LoadParm
from samba.ndr import ndr_unpack
from samba.dcerpc import drsblobs

dcdir, account = sys.argv[1:3]
lp = LoadParm()
lp.load(f"{dcdir}/etc/smb.conf")
db = SamDB(url=f"{dcdir}/private/sam.ldb", session_info=system_session(), lp=lp)
res = db.search(base=db.domain_dn(), expression=f"(sAMAccountName={account})", attrs=["supplementalCredentials", "msDS-KeyVersionNumber"])
if len(res) != 1:
    sys.exit(f"{account}: {len(res)} entries")
blob = ndr_unpack(drsblobs.supplementalCredentialsBlob, res[0]["supplementalCredentials"][0])
out = {}
for pkg in blob.sub.packages:
    if pkg.name == "Primary:Kerberos-Newer-Keys":
        kb = ndr_unpack(drsblobs.package_PrimaryKerberosBlob, bytes.fromhex(pkg.data))
        ctr = kb.ctr
        out["salt"] = ctr.salt.string
        out["keys"] = [bytes(k.value).hex() for k in ctr.keys if k.keytype == 18]
        out["old_keys"] = [bytes(k.value).hex() for k in ctr.old_keys if k.keytype == 18]
        out["iterations"] = ctr.default_iteration_count
print(json.dumps(out))

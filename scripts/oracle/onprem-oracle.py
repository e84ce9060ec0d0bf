#!/usr/bin/env python3
"""Independent oracle for `aadkerb get`: reads the on-prem Azure AD Kerberos objects with
ldapsearch (not libldap through aadkerb) and decodes replPropertyMetaData by hand, printing the
fields aadkerb reports, as JSON with the same names.

usage: onprem-oracle.py URI CAFILE BINDNAME PASSWORDFILE BASEDN
"""
import base64, datetime, json, os, struct, subprocess, sys

uri, cafile, bindname, pwfile, basedn = sys.argv[1:6]

def search(base, scope, filt, *attrs):
    env = dict(os.environ, LDAPTLS_CACERT=cafile, LDAPTLS_REQCERT="demand")
    out = subprocess.run(["ldapsearch", "-LLL", "-o", "ldif-wrap=no", "-x", "-H", uri, "-D", bindname,
                          "-y", pwfile, "-b", base, "-s", scope, filt, *attrs],
                         env=env, capture_output=True, text=True)
    if out.returncode not in (0, 32):
        sys.exit(f"ldapsearch failed: {out.stderr}")
    entries, cur = [], None
    for line in out.stdout.splitlines():
        if not line:
            continue
        key, _, rest = line.partition(":")
        if rest.startswith(": "):
            value = base64.b64decode(rest[2:])
        else:
            value = rest[1:].encode()
        if key == "dn":
            cur = {"dn": value.decode()}
            entries.append(cur)
        elif cur is not None:
            cur.setdefault(key.lower(), []).append(value)
    return entries

def guid(b):
    import uuid
    return str(uuid.UUID(bytes_le=bytes(b)))

computer = f"CN=AzureADKerberos,OU=Domain Controllers,{basedn}"
scp = f"CN=900274c4-b7d2-43c8-90ee-00a9f650e335,CN=AzureAD,CN=System,{basedn}"
root = search("", "base", "(objectClass=*)", "configurationNamingContext", "dnsHostName")[0]
comp = search(computer, "base", "(objectClass=*)", "msDS-KrbTgtLink")
link = comp[0]["msds-krbtgtlink"][0].decode() if comp and "msds-krbtgtlink" in comp[0] else f"CN=krbtgt_AzureAD,CN=Users,{basedn}"
krb = search(link, "base", "(objectClass=*)", "sAMAccountName", "msDS-SecondaryKrbTgtNumber",
             "msDS-KeyVersionNumber", "replPropertyMetaData")
sc = search(scp, "base", "(objectClass=*)", "cn")

result = {"ComputerAccount": comp[0]["dn"] if comp else None,
          "UserAccount": krb[0]["dn"] if krb else None,
          "ServiceConnectionPoint": sc[0]["dn"] if sc else None,
          "DomainController": root["dnshostname"][0].decode(),
          "Id": None, "DisplayName": None, "Kvno": None, "KeyVersion": None,
          "KeyUpdatedOn": None, "KeyUpdatedFrom": None, "KeyUpdatedFromInvocationId": None}
if krb:
    k = krb[0]
    result["Id"] = int(k["msds-secondarykrbtgtnumber"][0]) if "msds-secondarykrbtgtnumber" in k else None
    result["DisplayName"] = k["samaccountname"][0].decode()
    result["Kvno"] = int(k["msds-keyversionnumber"][0])
    blob = k["replpropertymetadata"][0]
    version, _, count, _ = struct.unpack_from("<IIII", blob, 0)
    assert version == 1
    for i in range(count):
        off = 16 + 48 * i
        attid, ver, secs = struct.unpack_from("<IIQ", blob, off)
        inv = blob[off + 16:off + 32]
        ousn, lusn = struct.unpack_from("<QQ", blob, off + 32)
        if attid == 0x9005a:
            when = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=secs)
            result["KeyVersion"] = ousn
            result["KeyUpdatedOn"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            result["KeyUpdatedFromInvocationId"] = guid(inv)
            config = root["configurationnamingcontext"][0].decode()
            for dsa in search("CN=Sites," + config, "sub", "(objectClass=nTDSDSA)", "invocationId"):
                if dsa["invocationid"][0] == inv:
                    server = dsa["dn"].split(",", 1)[1]
                    result["KeyUpdatedFrom"] = search(server, "base", "(objectClass=*)", "dNSHostName")[0]["dnshostname"][0].decode()
print(json.dumps(result, sort_keys=True))

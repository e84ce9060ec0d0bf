#!/usr/bin/env python3
"""Independent oracle for Tickets' minted partial TGTs, built on impacket (PyPI), not on MIT krb5.

usage: ticket-oracle.py ticket TICKET_DER_FILE   (stdin: the krbtgt key, hex)
         decrypts the Ticket (key usage 2), finds AD-IF-RELEVANT / AD-WIN2K-PAC, verifies the
         server and KDC signatures (HMAC-SHA1-96-AES256, key usage 17) and parses the PAC.
       ticket-oracle.py asrep ASREP_DER_FILE     (stdin: the session key, hex)
         opens the AS-REP's enc-part with the session key, key usage 3 (as impacket's
         CCache.fromTGT and ROADtools do) and reports what it holds.
Prints one JSON object on stdout; never prints a key. Exit 3 when impacket is missing.
"""
import json, struct, sys

try:
    from impacket.krb5 import pac as ipac
    from impacket.krb5.asn1 import AS_REP, EncASRepPart, Ticket, EncTicketPart, AD_IF_RELEVANT
    from impacket.krb5.crypto import Key, _enctype_table, _checksum_table
    from pyasn1.codec.der import decoder
except ImportError as e:
    print(f"impacket is not installed for {sys.executable} ({e}); install it with: pip install impacket", file=sys.stderr)
    sys.exit(3)


def sid_string(sid):
    return sid.formatCanonical()


def parse_pac(data, key=None):
    out = {"buffers": []}
    pactype = ipac.PACTYPE(data)
    buffers = pactype["Buffers"]
    infos = []
    for i in range(pactype["cBuffers"]):
        info = ipac.PAC_INFO_BUFFER(buffers[i * 16:(i + 1) * 16])
        infos.append(info)
        out["buffers"].append({"type": info["ulType"], "size": info["cbBufferSize"], "offset": info["Offset"]})
    raw = {info["ulType"]: data[info["Offset"]:info["Offset"] + info["cbBufferSize"]] for info in infos}
    out["offsets_aligned"] = all(info["Offset"] % 8 == 0 for info in infos)
    if ipac.PAC_LOGON_INFO in raw:
        blob = raw[ipac.PAC_LOGON_INFO]
        out["logon_info_size"] = len(blob)
        vi = ipac.VALIDATION_INFO()
        vi.fromString(blob)
        vi.fromStringReferents(blob[len(vi.getData()):])
        d = vi["Data"]
        out["logon"] = {
            "effective_name": str(d["EffectiveName"]),
            "user_id": d["UserId"],
            "primary_group_id": d["PrimaryGroupId"],
            "group_count": d["GroupCount"],
            "groups": [g["RelativeId"] for g in d["GroupIds"]] if d["GroupCount"] else [],
            "logon_domain_name": str(d["LogonDomainName"]),
            "logon_domain_id": sid_string(d["LogonDomainId"]),
            "user_sid": sid_string(d["LogonDomainId"]) + "-" + str(d["UserId"]),
            "sid_count": d["SidCount"],
            "user_account_control": d["UserAccountControl"],
        }
    if ipac.PAC_CLIENT_INFO_TYPE in raw:
        ci = ipac.PAC_CLIENT_INFO(raw[ipac.PAC_CLIENT_INFO_TYPE])
        out["client_info_name"] = ci["Name"].decode("utf-16-le")
    if ipac.PAC_REQUESTOR_INFO in raw:
        from impacket.dcerpc.v5.dtypes import SID
        rq = SID(raw[ipac.PAC_REQUESTOR_INFO])
        out["requestor_sid"] = rq.formatCanonical()
    for name, t in (("server", ipac.PAC_SERVER_CHECKSUM), ("kdc", ipac.PAC_PRIVSVR_CHECKSUM)):
        if t in raw:
            sig = ipac.PAC_SIGNATURE_DATA(raw[t])
            out[name + "_signature"] = {"type": sig["SignatureType"], "length": len(sig["Signature"]),
                                         "buffer_size": len(raw[t])}
    if key is not None and ipac.PAC_SERVER_CHECKSUM in raw and ipac.PAC_PRIVSVR_CHECKSUM in raw:
        # Zero both signature fields, as MS-PAC 2.8.1 says, then check both signatures.
        zeroed = bytearray(data)
        sigs = {}
        for info in infos:
            if info["ulType"] in (ipac.PAC_SERVER_CHECKSUM, ipac.PAC_PRIVSVR_CHECKSUM):
                start = info["Offset"] + 4
                sigs[info["ulType"]] = (struct.unpack("<I", data[info["Offset"]:start])[0], start, start + 12)
                zeroed[start:start + 12] = b"\0" * 12
        st, s0, s1 = sigs[ipac.PAC_SERVER_CHECKSUM]
        kt, k0, k1 = sigs[ipac.PAC_PRIVSVR_CHECKSUM]
        server_sig = data[s0:s1]
        out["server_signature_valid"] = _checksum_table[st].checksum(key, 17, bytes(zeroed)) == server_sig
        out["kdc_signature_valid"] = _checksum_table[kt].checksum(key, 17, server_sig) == data[k0:k1]
    return out


def principal(p):
    return "/".join(str(c) for c in p["name-string"])


def main():
    mode, path = sys.argv[1], sys.argv[2]
    data = open(path, "rb").read()
    key_bytes = bytes.fromhex(sys.stdin.read().strip())
    if mode == "ticket":
        key = Key(18, key_bytes)
        tkt = decoder.decode(data, asn1Spec=Ticket())[0]
        enc = tkt["enc-part"]
        out = {"realm": str(tkt["realm"]), "sname": principal(tkt["sname"]), "etype": int(enc["etype"]), "kvno": int(enc["kvno"])}
        plain = _enctype_table[int(enc["etype"])].decrypt(key, 2, bytes(enc["cipher"]))
        etp = decoder.decode(plain, asn1Spec=EncTicketPart())[0]
        out["crealm"] = str(etp["crealm"])
        out["cname"] = principal(etp["cname"])
        out["session_key_type"] = int(etp["key"]["keytype"])
        out["session_key_length"] = len(bytes(etp["key"]["keyvalue"]))
        out["flags"] = str(etp["flags"])
        out["authtime"] = str(etp["authtime"])
        out["endtime"] = str(etp["endtime"])
        pacs = []
        for ad in etp["authorization-data"]:
            if int(ad["ad-type"]) == 1:
                for inner in decoder.decode(bytes(ad["ad-data"]), asn1Spec=AD_IF_RELEVANT())[0]:
                    if int(inner["ad-type"]) == 128:
                        pacs.append(bytes(inner["ad-data"]))
        out["pac_count"] = len(pacs)
        if pacs:
            out["pac"] = parse_pac(pacs[0], key)
    elif mode == "asrep":
        key = Key(18, key_bytes)
        rep = decoder.decode(data, asn1Spec=AS_REP())[0]
        enc = rep["enc-part"]
        plain = _enctype_table[int(enc["etype"])].decrypt(key, 3, bytes(enc["cipher"]))
        part = decoder.decode(plain, asn1Spec=EncASRepPart())[0]
        out = {"crealm": str(rep["crealm"]), "cname": principal(rep["cname"]),
               "ticket_sname": principal(rep["ticket"]["sname"]), "ticket_kvno": int(rep["ticket"]["enc-part"]["kvno"]),
               "srealm": str(part["srealm"]), "sname": principal(part["sname"]),
               "key_type": int(part["key"]["keytype"]), "key_matches": bytes(part["key"]["keyvalue"]) == key_bytes,
               "endtime": str(part["endtime"])}
    else:
        sys.exit(f"unknown mode {mode}")
    print(json.dumps(out))


main()

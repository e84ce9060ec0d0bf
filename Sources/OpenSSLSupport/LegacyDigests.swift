import COpenSSL

/// MD5 and HMAC-MD5, which old protocols still need (NTLM, MS-DRSR secret encryption). Both are
/// in OpenSSL 3's default provider (MD4 and RC4 are not; DRSClient has its own).
public enum MD5 {
    public static func digest(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 16
        let ok = data.withUnsafeBufferPointer { d in EVP_Digest(d.baseAddress, d.count, &out, &length, EVP_md5(), nil) }
        precondition(ok == 1 && length == 16, "EVP_Digest(MD5) failed")
        return out
    }
}

public enum HMACMD5 {
    public static func mac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 16
        let result = key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                HMAC(EVP_md5(), k.baseAddress, Int32(k.count), d.baseAddress, d.count, &out, &length)
            }
        }
        precondition(result != nil && length == 16, "HMAC(MD5) failed")
        return out
    }
}

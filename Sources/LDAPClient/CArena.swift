import CLDAP
import Foundation
import Basics

/// Owns the C memory built for one libldap call (strings, bervals, controls, mods) and frees
/// all of it at once. Value bytes are zeroed before they are freed, since they may hold a password.
final class CArena {
    private var blocks: [(UnsafeMutableRawPointer, Int)] = []

    deinit {
        for (pointer, size) in blocks {
            explicit_bzero(pointer, size)  // memset here was removed by the optimizer (seen in the release object code)
            free(pointer)
        }
    }

    func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let size = max(1, MemoryLayout<T>.stride * count)
        let raw = calloc(1, size)!
        blocks.append((raw, size))
        return raw.bindMemory(to: type, capacity: count)
    }

    func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(s.utf8CString)
        let p = allocate(CChar.self, count: utf8.count)
        p.initialize(from: utf8, count: utf8.count)
        return p
    }

    func berval(_ bytes: [UInt8]) -> UnsafeMutablePointer<CLDAP.berval> {
        bytes.withUnsafeBytes { berval($0) }
    }

    /// A secret goes straight from its buffer into arena memory (zeroed on release): no
    /// intermediate array that nobody zeroes.
    func berval(_ secret: Secret) -> UnsafeMutablePointer<CLDAP.berval> {
        secret.withUnsafeBytes { berval($0) }
    }

    private func berval(_ raw: UnsafeRawBufferPointer) -> UnsafeMutablePointer<CLDAP.berval> {
        let bv = allocate(CLDAP.berval.self, count: 1)
        let data = allocate(CChar.self, count: raw.count + 1)
        if let base = raw.baseAddress { memcpy(data, base, raw.count) }
        bv.pointee = CLDAP.berval(bv_len: ber_len_t(raw.count), bv_val: data)
        return bv
    }

    /// A NULL-terminated array of berval pointers.
    func bervalArray(_ values: [[UInt8]]) -> UnsafeMutablePointer<UnsafeMutablePointer<CLDAP.berval>?> {
        let array = allocate(UnsafeMutablePointer<CLDAP.berval>?.self, count: values.count + 1)
        for (i, v) in values.enumerated() { array[i] = berval(v) }
        array[values.count] = nil
        return array
    }

    /// A NULL-terminated array of C strings.
    func stringArray(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
        let array = allocate(UnsafeMutablePointer<CChar>?.self, count: strings.count + 1)
        for (i, s) in strings.enumerated() { array[i] = string(s) }
        array[strings.count] = nil
        return array
    }

    /// A NULL-terminated array of LDAPControl pointers, or nil for no controls.
    func controls(_ controls: [LDAPRequestControl]) -> UnsafeMutablePointer<UnsafeMutablePointer<CLDAP.LDAPControl>?>? {
        guard !controls.isEmpty else { return nil }
        let array = allocate(UnsafeMutablePointer<CLDAP.LDAPControl>?.self, count: controls.count + 1)
        for (i, c) in controls.enumerated() {
            let control = allocate(CLDAP.LDAPControl.self, count: 1)
            var value = CLDAP.berval(bv_len: 0, bv_val: nil)
            if let bytes = c.value { value = berval(bytes).pointee }
            control.pointee = CLDAP.LDAPControl(
                ldctl_oid: string(c.oid), ldctl_value: value, ldctl_iscritical: c.isCritical ? 1 : 0)
            array[i] = control
        }
        array[controls.count] = nil
        return array
    }

    /// A NULL-terminated array of LDAPMod pointers with binary values.
    func mods(_ modifications: [LDAPModification]) -> UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?> {
        let array = allocate(UnsafeMutablePointer<LDAPMod>?.self, count: modifications.count + 1)
        for (i, m) in modifications.enumerated() {
            let mod = allocate(LDAPMod.self, count: 1)
            mod.pointee.mod_op = m.operation.rawValue | LDAP_MOD_BVALUES
            mod.pointee.mod_type = string(m.attribute)
            // An empty value list on delete removes the whole attribute (NULL, not an empty array).
            cldap_mod_set_bvalues(mod, m.values.isEmpty ? nil : bervalArray(m.values))
            array[i] = mod
        }
        array[modifications.count] = nil
        return array
    }
}

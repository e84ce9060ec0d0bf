// libFuzzer target: a replPropertyMetaData blob read over LDAP.
import AADKerbCore
import FuzzDriver

fuzz { _ = try? ReplicationMetadata(decoding: $0) }

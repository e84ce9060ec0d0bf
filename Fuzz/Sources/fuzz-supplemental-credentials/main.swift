// libFuzzer target: a decrypted supplementalCredentials value (USER_PROPERTIES).
import DRSClient
import FuzzDriver

fuzz { DRSFuzzEntry.supplementalCredentials($0) }

// libFuzzer target: an IDL_DRSGetNCChanges (or DsBind, endpoint-mapper) reply stub from a DC.
import DRSClient
import FuzzDriver

fuzz { DRSFuzzEntry.getNCChangesReply($0) }

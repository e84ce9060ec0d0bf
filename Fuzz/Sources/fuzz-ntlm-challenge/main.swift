// libFuzzer target: an NTLM CHALLENGE_MESSAGE from a DC's bind_ack.
import DRSClient
import FuzzDriver

fuzz { DRSFuzzEntry.ntlmChallenge($0) }

// libFuzzer target: a KDC's reply to a TGS-REQ (KRB-ERROR or TGS-REP), and an EncTGSRepPart.
import Tickets
import FuzzDriver

fuzz { TicketsFuzzEntry.kdcReply($0) }

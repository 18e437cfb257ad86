"""Every reply and status text that Postfix itself writes, read as Postfix logs it, gets the reason its source gives it.

Each row is one Postfix text (its source named: the file and function of the Postfix sources, the postconf(5) default or
MailRoute's list of Postfix replies) in the log line Postfix writes for it: an smtpd or postscreen ``NOQUEUE: reject:``
line (the receiving side), a remote Postfix's reply quoted by our smtp client (``host ... said: ...``), or the status
text of a delivery agent (smtp, lmtp, local, virtual, pipe, error, qmgr).  Hosts, addresses and IPs are made up.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from analyzer.pipeline import read_records


class Row(NamedTuple):
    """kind: "reject" (smtpd NOQUEUE line), "screen" (postscreen), "said" (a remote Postfix's reply), or the delivery
    agent that logs the status text (smtp, lmtp, local, virtual, pipe, error)."""
    kind: str
    text: str
    reason: str
    source: str
    command: str = "RCPT"
    status: str = "bounced"
    dsn: str = "5.0.0"


HEAD = "Mar  1 00:00:01 mx.example.org postfix"
CLIENT = "client.example.com[192.0.2.9]"
ENVELOPE = "from=<alice@example.com> to=<bob@example.net> proto=ESMTP helo=<client.example.com>"
RELAYS = {"smtp": "mx.example.net[192.0.2.1]:25", "lmtp": "imap.example.net[private/dovecot-lmtp]", "local": "local",
          "virtual": "virtual", "pipe": "dovecot", "error": "none", "qmgr": "none"}
COMMANDS = {"RCPT": "RCPT TO", "MAIL": "MAIL FROM", "DATA": "end of DATA", "HELO": "EHLO", "CONN": ""}


def line_of(row: Row) -> str:
    """The log line Postfix writes for this row's text."""
    if row.kind == "reject":
        return f"{HEAD}/smtpd[1]: NOQUEUE: reject: {row.command} from {CLIENT}: {row.text}; {ENVELOPE}"
    if row.kind == "screen":
        return (f"{HEAD}/postscreen[1]: NOQUEUE: reject: RCPT from [192.0.2.9]:41234: {row.text}; "
                f"from=<alice@example.com>, to=<bob@example.net>, proto=ESMTP, helo=<client.example.com>")
    if row.kind == "said":
        code = re.search(r"\b[245]\.\d{1,3}\.\d{1,3}\b", row.text)
        dsn = code.group() if code else f"{row.text[0]}.0.0"
        status = "deferred" if row.text[0] == "4" else "bounced"
        command = COMMANDS[row.command]
        text = (f"host mx.example.net[192.0.2.1] said: {row.text} (in reply to {command} command)" if command
                else f"host mx.example.net[192.0.2.1] refused to talk to me: {row.text}")
        return (f"{HEAD}/smtp[1]: 9F9AD90ED8: to=<bob@example.net>, relay={RELAYS['smtp']}, delay=1, "
                f"delays=1/0/0/0, dsn={dsn}, status={status} ({text})")
    agent = "smtp" if row.kind == "qmgr" else row.kind
    return (f"{HEAD}/{agent}[1]: 9F9AD90ED8: to=<bob@example.net>, relay={RELAYS[row.kind]}, delay=1, "
            f"delays=1/0/0/0, dsn={row.dsn}, status={row.status} ({row.text})")


SC = "Postfix smtpd_check.c"
MR = "MailRoute's list of Postfix replies (mailroute.net, 'Postfix SMTP Response Errors')"

ROWS = [
    # --- smtpd_check.c: client restrictions
    Row("reject", "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.9]", "requireptr",
        f"{SC} reject_unknown_client_hostname"),
    Row("reject", "550 5.7.25 Client host rejected: cannot find your hostname, [192.0.2.9]", "requireptr",
        f"{SC} reject_unknown_client_hostname, Postfix 3.6+ code (RFC 7372 X.7.25)"),
    Row("reject", "450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.9]", "requireptr",
        f"{SC} reject_unknown_reverse_client_hostname"),
    Row("reject", f"554 5.7.1 <{CLIENT}>: Client host rejected: Access denied", "blocked",
        f"{SC} check_client_access REJECT (access(5))"),
    Row("reject", "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using zen.example.net", "blocked",
        f"{SC} reject_rbl_client (default rbl_reply_maps text)"),
    Row("reject", "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using bl.example.net; "
        "https://bl.example.net/query/192.0.2.9", "blocked", f"{SC} reject_rbl_client with the list's TXT reason"),
    Row("reject", "554 5.7.1 Service unavailable; Client host [client.example.com] blocked using dbl.example.net",
        "blocked", f"{SC} reject_rhsbl_client"),
    Row("reject", "554 5.7.1 Service unavailable; Helo command [client.example.com] blocked using dbl.example.net",
        "blocked", f"{SC} reject_rhsbl_helo"),
    Row("reject", "554 5.7.1 Service unavailable; Sender address [alice@example.com] blocked using dbl.example.net",
        "rejected", f"{SC} reject_rhsbl_sender (the sender's domain is listed)"),
    Row("reject", f"451 4.3.5 <{CLIENT}>: Client host rejected: Server configuration error", "systemerror",
        f"{MR}; {SC} (a restriction misconfigured)"),
    Row("reject", f"554 5.7.1 <{CLIENT}>: Client host rejected: match 192.0.2", "blocked",
        f"{MR} (check_client_access REJECT with a text)"),
    Row("reject", "554 5.7.1 Service unavailable; Unverified Client host [client.example.com] blocked using "
        "dbl.example.net", "blocked", f"{SC} reject_rhsbl_reverse_client"),
    Row("said", "550 5.7.25 Client host rejected: cannot find your hostname, [198.51.100.7]", "requireptr",
        f"{SC} reject_unknown_client_hostname, seen by the sender", command="CONN"),
    # --- HELO restrictions
    Row("reject", "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname", "blocked",
        f"{SC} reject_non_fqdn_helo_hostname"),
    Row("reject", "450 4.7.1 <client.example.com>: Helo command rejected: Host not found", "blocked",
        f"{SC} reject_unknown_helo_hostname"),
    Row("reject", "501 5.5.2 <client_example>: Helo command rejected: Invalid name", "blocked",
        f"{SC} reject_invalid_helo_hostname"),
    Row("reject", "554 5.7.1 <client.example.com>: Helo command rejected: Access denied", "blocked",
        f"{SC} check_helo_access REJECT"),
    Row("reject", "501 5.5.2 <.192.0.2.9>: Helo command rejected: invalid ip address", "blocked",
        f"{MR}; {SC} reject_invalid_helo_hostname (address literal)"),
    Row("reject", "554 5.7.1 <client.example.com>: Helo command rejected: match client.example.com", "blocked",
        f"{MR} (check_helo_access REJECT with a text)"),
    Row("reject", "554 5.7.1 <client.example.com>: Helo command rejected: name server ns.example.com", "blocked",
        f"{MR} (check_helo_ns_access REJECT with a text)"),
    Row("reject", "451 4.3.5 <client.example.com>: Helo command rejected: Server configuration error", "systemerror",
        MR),
    Row("said", "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname", "blocked",
        f"{SC} reject_non_fqdn_helo_hostname, seen by the sender (our smtp_helo_name)", command="HELO"),
    # --- sender restrictions
    Row("reject", "504 5.5.2 <alice>: Sender address rejected: need fully-qualified address", "rejected",
        f"{SC} reject_non_fqdn_sender"),
    Row("reject", "450 4.1.8 <alice@example.com>: Sender address rejected: Domain not found", "rejected",
        f"{SC} reject_unknown_sender_domain"),
    Row("reject", "550 5.1.8 <alice@example.com>: Sender address rejected: Domain not found", "rejected",
        f"{SC} reject_unknown_sender_domain (unknown_address_reject_code 550)"),
    Row("reject", "550 5.7.27 <alice@example.com>: Sender address rejected: Domain example.com does not accept mail "
        "(nullMX)", "rejected", f"{SC} reject_unknown_sender_domain, null MX (RFC 7505 X.7.27)"),
    Row("reject", "550 5.1.0 <alice@example.com>: Sender address rejected: User unknown in local recipient table",
        "rejected", f"{SC} reject_unlisted_sender"),
    Row("reject", "554 5.7.1 <alice@example.com>: Sender address rejected: Access denied", "rejected",
        f"{SC} check_sender_access REJECT"),
    Row("reject", "553 5.7.1 <alice@example.com>: Sender address rejected: not owned by user carol", "rejected",
        f"{SC} reject_sender_login_mismatch"),
    Row("reject", "553 5.7.1 <alice@example.com>: Sender address rejected: not logged in", "rejected",
        f"{SC} reject_unauthenticated_sender_login_mismatch"),
    Row("reject", "450 4.1.7 <alice@example.com>: Sender address rejected: unverified address: host "
        "mx.example.com[192.0.2.5] said: 550 5.1.1 <alice@example.com>: Recipient address rejected: User unknown in "
        "local recipient table (in reply to RCPT TO command)", "rejected", f"{SC} reject_unverified_sender"),
    Row("reject", "550 5.1.7 <alice@example.com>: Sender address rejected: undeliverable address: unknown user: "
        "\"alice\"", "rejected", f"{SC} reject_unverified_sender (a bounced probe)"),
    Row("reject", "550 5.7.1 <>: Sender address rejected: Go away postmaster", "rejected",
        f"{MR} (check_sender_access with a text)"),
    Row("reject", "451 4.3.5 <alice@example.com>: Sender address rejected: Server configuration error", "systemerror",
        MR),
    Row("reject", "554 5.7.1 <alice@example.com>: Sender address rejected: match alice@", "rejected",
        f"{MR} (check_sender_access REJECT with a text)"),
    Row("reject", "554 5.7.1 <alice@example.com>: Sender address rejected: ns or mx server ns.example.com", "rejected",
        f"{MR} (check_sender_ns_access / check_sender_mx_access)"),
    Row("said", "550 5.1.0 <alice@example.com>: Sender address rejected: User unknown in local recipient table",
        "rejected", f"{SC} reject_unlisted_sender, seen by the sender (answered at RCPT: smtpd_delay_reject)"),
    Row("said", "550 5.7.27 <alice@example.com>: Sender address rejected: Domain example.com does not accept mail",
        "rejected", f"{MR}; RFC 7505 X.7.27", command="MAIL"),
    # --- recipient restrictions
    Row("reject", "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in local recipient table",
        "userunknown", f"{SC} check_rcpt_maps (local_recipient_maps)"),
    Row("reject", "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox table",
        "userunknown", f"{SC} check_rcpt_maps (virtual_mailbox_maps)"),
    Row("reject", "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in relay recipient table",
        "userunknown", f"{SC} check_rcpt_maps (relay_recipient_maps)"),
    Row("reject", "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual alias table",
        "userunknown", f"{SC} check_rcpt_maps (virtual_alias_maps)"),
    Row("reject", "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown", "userunknown",
        f"{SC} check_rcpt_maps with show_user_unknown_table_name = no"),
    Row("reject", "554 5.7.1 <bob@example.net>: Relay access denied", "norelaying",
        f"{SC} reject_unauth_destination"),
    Row("reject", "554 5.7.1 <bob@example.net>: Recipient address rejected: Relay access denied", "norelaying",
        f"{MR} (relay denial in the recipient class)"),
    Row("reject", "450 4.1.2 <bob@example.net>: Recipient address rejected: Domain not found", "hostunknown",
        f"{SC} reject_unknown_recipient_domain"),
    Row("reject", "550 5.1.2 <bob@example.net>: Recipient address rejected: Domain not found", "hostunknown",
        f"{SC} reject_unknown_recipient_domain (unknown_address_reject_code 550)"),
    Row("reject", "556 5.1.10 <bob@example.net>: Recipient address rejected: Domain example.net does not accept mail "
        "(nullMX)", "notaccept", f"{SC} reject_unknown_recipient_domain, null MX (RFC 7505 X.1.10)"),
    Row("reject", "504 5.5.2 <bob>: Recipient address rejected: need fully-qualified address", "syntaxerror",
        f"{SC} reject_non_fqdn_recipient (the RCPT argument has no domain)"),
    Row("reject", "450 4.1.1 <bob@example.net>: Recipient address rejected: unverified address: host "
        "mx.example.net[192.0.2.1] said: 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown "
        "(in reply to RCPT TO command)", "userunknown", f"{SC} reject_unverified_recipient"),
    Row("reject", "550 5.1.1 <bob@example.net>: Recipient address rejected: undeliverable address: unknown user: "
        "\"bob\"", "userunknown", f"{SC} reject_unverified_recipient (a bounced probe)"),
    Row("reject", "550 5.5.3 <>: Recipient address rejected: Multi-recipient bounce", "policyviolation",
        f"{SC} reject_multi_recipient_bounce (a null sender with several recipients)"),
    Row("reject", "550 5.5.3 <>: Data command rejected: Multi-recipient bounce", "policyviolation",
        f"{SC} reject_multi_recipient_bounce at DATA", command="DATA"),
    Row("reject", "554 5.5.0 <client.example.com>: Data command rejected: Improper use of SMTP command pipelining",
        "syntaxerror", f"{SC} reject_unauth_pipelining", command="DATA"),
    Row("reject", "451 4.3.0 <bob@example.net>: Temporary lookup failure", "systemerror",
        f"{MR}; {SC} (a table lookup failed)"),
    Row("reject", "451 4.3.5 <bob@example.net>: Recipient address rejected: Server configuration error", "systemerror",
        MR),
    Row("reject", "554 5.7.1 <bob@example.net>: Recipient address rejected: Access denied", "userunknown",
        f"{SC} check_recipient_access REJECT (sites use it for addresses that take no mail; Microsoft\'s DBEB writes the same words)"),
    Row("reject", "450 4.1.1 <bob@example.net>: Recipient address rejected: unverified address: connect to "
        "mx.example.net[192.0.2.1]:25: Connection timed out", "networkerror",
        f"{SC} reject_unverified_recipient (the probe could not connect)"),
    Row("reject", "550 5.2.2 <bob@example.net>: Recipient address rejected: undeliverable address: host "
        "mx.example.net[192.0.2.1] said: 552 5.2.2 Mailbox full (in reply to RCPT TO command)", "mailboxfull",
        f"{SC} reject_unverified_recipient (the probe's cause)"),
    Row("reject", "450 4.3.0 <bob@example.net>: Recipient address rejected: address verification problem",
        "systemerror", f"{SC} reject_unverified_address (the verify service failed)"),
    # --- smtpd.c limits and protocol replies (as a remote Postfix answers our client)
    Row("said", "450 4.7.1 Error: too much mail from 198.51.100.7", "speeding",
        "Postfix smtpd.c mail_cmd, smtpd_client_message_rate_limit", command="MAIL"),
    Row("said", "450 4.7.1 Error: too many recipients from 198.51.100.7", "speeding",
        "Postfix smtpd.c rcpt_cmd, smtpd_client_recipient_rate_limit"),
    Row("said", "421 4.7.0 mx.example.net Error: too many connections from 198.51.100.7", "toomanyconn",
        "Postfix smtpd.c smtpd_proto, smtpd_client_connection_count_limit / _rate_limit", command="CONN"),
    Row("said", "454 4.7.0 Error: too many new TLS sessions from 198.51.100.7", "speeding",
        "Postfix smtpd.c starttls_cmd, smtpd_client_new_tls_session_rate_limit", command="HELO"),
    Row("said", "450 4.7.1 Error: too many AUTH commands from 198.51.100.7", "speeding",
        "Postfix smtpd.c smtpd_sasl_auth_cmd, smtpd_client_auth_rate_limit", command="HELO"),
    Row("said", "452 4.5.3 Error: too many recipients", "toomanyconn",
        "Postfix smtpd.c rcpt_cmd, smtpd_recipient_limit (RFC 3463 X.5.3: too many recipients)"),
    Row("said", "552 5.3.4 Message size exceeds fixed limit", "mesgtoobig",
        "Postfix smtpd.c mail_cmd / data: message_size_limit", command="DATA"),
    Row("said", "552 5.3.4 Message size exceeds file system imposed limit", "mesgtoobig",
        "Postfix smtpd.c mail_cmd (SIZE above the file size limit)", command="MAIL"),
    Row("said", "552 5.3.4 Chunk exceeds message size limit", "mesgtoobig", "Postfix smtpd.c bdat_cmd", command="DATA"),
    Row("said", "552 5.3.4 Message file too big", "mesgtoobig",
        "Postfix cleanup_strerror.c CLEANUP_STAT_SIZE via smtpd.c", command="DATA"),
    Row("said", "452 4.3.1 Insufficient system storage", "systemfull",
        "Postfix smtpd.c mail_cmd, queue_minfree", command="MAIL"),
    Row("said", "451 4.3.0 Queue file write error", "systemerror",
        "Postfix cleanup_strerror.c CLEANUP_STAT_WRITE via smtpd.c", command="DATA"),
    Row("said", "554 5.4.0 Error: too many hops", "systemerror",
        "Postfix cleanup_strerror.c CLEANUP_STAT_HOPS (hopcount_limit: a mail loop)", command="DATA"),
    Row("said", "550 5.7.1 message content rejected", "contenterror",
        "Postfix cleanup_strerror.c CLEANUP_STAT_CONT, the header_checks/body_checks REJECT default", command="DATA"),
    Row("said", "550 5.7.1 Command rejected", "policyviolation",
        "Postfix cleanup/smtpd milter8.c: the default text of a milter's reject", command="DATA"),
    Row("said", "451 4.7.1 Service unavailable - try again later", "systemerror",
        "Postfix smtpd.c / cleanup: a milter's tempfail", command="DATA"),
    Row("said", "421 4.3.5 Server configuration error", "systemerror", "Postfix smtpd.c (server misconfigured)",
        command="MAIL"),
    Row("said", "421 4.4.2 mx.example.net Error: timeout exceeded", "networkerror",
        "Postfix smtpd.c smtpd_timeout", command="DATA"),
    Row("said", "530 5.7.0 Must issue a STARTTLS command first", "failedstarttls",
        "Postfix smtpd.c smtpd_tls_security_level = encrypt", command="MAIL"),
    Row("said", "535 5.7.8 Error: authentication failed: authentication failure", "securityerror",
        "Postfix smtpd_sasl_proto.c", command="HELO"),
    Row("said", "553 5.6.7 Must declare SMTPUTF8 to send unicode address", "contenterror",
        "Postfix smtpd.c (RFC 6531 X.6.7)", command="MAIL"),
    Row("said", "501 5.1.7 Bad sender address syntax", "rejected", "Postfix smtpd.c extract_addr", command="MAIL"),
    Row("said", "501 5.1.3 Bad recipient address syntax", "syntaxerror", "Postfix smtpd.c extract_addr"),
    Row("said", "503 5.5.1 Error: send HELO/EHLO first", "syntaxerror", "Postfix smtpd.c mail_cmd", command="MAIL"),
    Row("said", "502 5.5.2 Error: command not recognized", "syntaxerror", "Postfix smtpd.c smtpd_proto",
        command="MAIL"),
    Row("said", "554 mx.example.net ESMTP not accepting connections", "blocked",
        "Postfix smtpd.c smtpd_proto (smtpd_client_restrictions reject at the greeting)", command="CONN"),
    Row("said", "554 5.7.1 <198.51.100.7>: Client host rejected: Access denied", "blocked",
        "Postfix smtpd_check.c check_client_access REJECT, seen by the sender", command="CONN"),
    Row("said", "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.example.net",
        "blocked", "Postfix smtpd_check.c reject_rbl_client, seen by the sender", command="CONN"),
    Row("said", "550 5.7.0 Error: insufficient authorization", "securityerror", "Postfix smtpd.c xclient_cmd",
        command="MAIL"),
    Row("said", "501 5.5.4 Syntax: MAIL FROM:<address>", "syntaxerror", "Postfix smtpd.c mail_cmd", command="MAIL"),
    Row("said", "500 5.5.2 Error: bad syntax", "syntaxerror", "Postfix smtpd.c smtpd_proto", command="MAIL"),
    Row("said", "421 4.3.0 mx.example.net Server local data error", "systemerror", "Postfix smtpd.c smtpd_proto",
        command="MAIL"),
    # --- postscreen
    Row("screen", "550 5.7.1 Service unavailable; client [192.0.2.9] blocked using zen.example.net", "blocked",
        "Postfix postscreen_dnsbl.c / postscreen_smtpd.c, postscreen_dnsbl_action = enforce"),
    Row("said", "550 5.3.2 Service currently unavailable", "blocked",
        "Postfix postscreen_early.c: permanently blacklisted client, postscreen_blacklist_action = enforce"),
    Row("said", "521 5.3.2 Service currently unavailable", "blocked",
        "Postfix postscreen_early.c: permanently blacklisted client, action drop", command="CONN"),
    Row("said", "550 5.5.1 Protocol error", "syntaxerror",
        "Postfix postscreen_smtpd.c: pipelining / non-SMTP command / bare newline test failed"),
    Row("said", "421 4.7.0 Error: too many connections", "toomanyconn",
        "Postfix postscreen.c postscreen_client_connection_count_limit", command="CONN"),
    Row("said", "421 4.3.2 All screening ports are busy", "toomanyconn",
        "Postfix postscreen.c postscreen_pre_queue_limit", command="CONN"),
    Row("said", "421 4.3.2 All server ports are busy", "toomanyconn",
        "Postfix postscreen.c postscreen_post_queue_limit", command="CONN"),
    Row("said", "521 5.5.1 Protocol error", "blocked", "Postfix postscreen_early.c pregreet test (a bot, action drop)",
        command="CONN"),
    # --- smtp client (smtp_connect.c, smtp_proto.c, smtp_addr.c, dns_lookup.c, smtp_sasl_glue.c)
    Row("smtp", "connect to mx.example.net[192.0.2.1]:25: Connection refused", "networkerror",
        "Postfix smtp_connect.c smtp_connect_addr", status="deferred", dsn="4.4.1"),
    Row("smtp", "connect to mx.example.net[192.0.2.1]:25: Connection timed out", "networkerror",
        "Postfix smtp_connect.c smtp_connect_addr", status="deferred", dsn="4.4.1"),
    Row("smtp", "connect to mx.example.net[192.0.2.1]:25: No route to host", "networkerror",
        "Postfix smtp_connect.c smtp_connect_addr", status="deferred", dsn="4.4.1"),
    Row("smtp", "connect to mx.example.net[2001:db8::1]:25: Network is unreachable", "networkerror",
        "Postfix smtp_connect.c smtp_connect_addr", status="deferred", dsn="4.4.1"),
    Row("smtp", "lost connection with mx.example.net[192.0.2.1] while receiving the initial server greeting",
        "networkerror", "Postfix smtp_proto.c smtp_stream_except", status="deferred", dsn="4.4.2"),
    Row("smtp", "lost connection with mx.example.net[192.0.2.1] while performing the EHLO handshake",
        "networkerror", "Postfix smtp_proto.c smtp_stream_except", status="deferred", dsn="4.4.2"),
    Row("smtp", "lost connection with mx.example.net[192.0.2.1] while sending RCPT TO", "networkerror",
        "Postfix smtp_proto.c smtp_stream_except", status="deferred", dsn="4.4.2"),
    Row("smtp", "lost connection with mx.example.net[192.0.2.1] while sending message body", "networkerror",
        "Postfix smtp_proto.c smtp_stream_except", status="deferred", dsn="4.4.2"),
    Row("smtp", "conversation with mx.example.net[192.0.2.1] timed out while receiving the initial server greeting",
        "networkerror", "Postfix smtp_proto.c smtp_stream_except", status="deferred", dsn="4.4.2"),
    Row("smtp", "conversation with mx.example.net[192.0.2.1] timed out while sending end of data -- message may be "
        "sent more than once", "networkerror", "Postfix smtp_proto.c smtp_stream_except", status="deferred",
        dsn="4.4.2"),
    Row("smtp", "Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try "
        "again", "networkerror", "Postfix dns_lookup.c + dns_strerror.c TRY_AGAIN (a temporary DNS failure)",
        status="deferred", dsn="4.4.3"),
    Row("smtp", "Host or domain name not found. Name service error for name=example.net type=MX: Host not found",
        "hostunknown", "Postfix dns_lookup.c + dns_strerror.c HOST_NOT_FOUND", dsn="5.4.4"),
    Row("smtp", "Host or domain name not found. Name service error for name=mx.example.net type=AAAA: Host found "
        "but no data record of requested type", "hostunknown", "Postfix dns_lookup.c NO_DATA", dsn="5.4.4"),
    Row("smtp", "unable to look up host mx.example.net: Temporary failure in name resolution", "networkerror",
        "Postfix smtp_addr.c (smtp_host_lookup = native) + getaddrinfo EAI_AGAIN", status="deferred", dsn="4.4.4"),
    Row("smtp", "unable to look up host mx.example.net: Name or service not known", "hostunknown",
        "Postfix smtp_addr.c (smtp_host_lookup = native) + getaddrinfo EAI_NONAME", dsn="5.4.4"),
    Row("smtp", "Name service error for name=example.net type=MX: Malformed or unexpected name server reply",
        "networkerror", "Postfix dns_lookup.c (a broken DNS reply, retried)", status="deferred", dsn="4.4.3"),
    Row("smtp", "Domain example.net does not accept mail (nullMX)", "notaccept",
        "Postfix smtp_addr.c / dns_lookup.c, null MX (RFC 7505)", dsn="5.1.10"),
    Row("smtp", "mail for example.net loops back to myself", "systemerror", "Postfix smtp_connect.c",
        dsn="5.4.6"),
    Row("smtp", "host mx.example.net[192.0.2.1] refused to talk to me: 421 4.7.0 mx.example.net Error: too many "
        "connections from 198.51.100.7", "toomanyconn", "Postfix smtp_proto.c smtp_helo (the greeting refused)",
        status="deferred", dsn="4.7.0"),
    Row("smtp", "TLS is required, but was not offered by host mx.example.net[192.0.2.1]", "failedstarttls",
        "Postfix smtp_proto.c smtp_helo", status="deferred", dsn="4.7.4"),
    Row("smtp", "TLS is required, but host mx.example.net[192.0.2.1] refused to start TLS: 454 4.7.0 TLS not "
        "available due to local problem", "failedstarttls", "Postfix smtp_proto.c smtp_start_tls",
        status="deferred", dsn="4.7.5"),
    Row("smtp", "Cannot start TLS: handshake failure", "failedstarttls", "Postfix smtp_proto.c smtp_start_tls",
        status="deferred", dsn="4.7.5"),
    Row("smtp", "Server certificate not verified", "failedstarttls",
        "Postfix smtp_proto.c smtp_start_tls (smtp_tls_security_level = verify/secure)", status="deferred",
        dsn="4.7.5"),
    Row("smtp", "TLS is required, but our TLS engine is unavailable", "failedstarttls",
        "Postfix smtp_proto.c smtp_helo", status="deferred", dsn="4.7.5"),
    Row("smtp", "SMTPUTF8 is required, but was not offered by host mx.example.net[192.0.2.1]", "contenterror",
        "Postfix smtp_proto.c smtp_helo (RFC 6531 X.6.7)", dsn="5.6.7"),
    Row("smtp", "message size 30000000 exceeds size limit 10240000 of server mx.example.net[192.0.2.1]",
        "mesgtoobig", "Postfix smtp_proto.c smtp_helo (the server's SIZE)", dsn="5.3.4"),
    Row("smtp", "SASL authentication failed; server mx.example.net[192.0.2.1] said: 535 5.7.8 Error: authentication "
        "failed: authentication failure", "securityerror", "Postfix smtp_sasl_proto.c / smtp_sasl_glue.c",
        status="deferred", dsn="4.7.0"),
    Row("smtp", "SASL authentication failed; cannot authenticate to server mx.example.net[192.0.2.1]: no mechanism "
        "available", "securityerror", "Postfix smtp_sasl_glue.c", status="deferred", dsn="4.7.0"),
    Row("smtp", "SASL authentication failed: server mx.example.net[192.0.2.1] offered no compatible authentication "
        "mechanisms for this type of connection security", "securityerror", "Postfix smtp_sasl_proto.c",
        status="deferred", dsn="4.7.0"),
    Row("smtp", "local data error while talking to mx.example.net[192.0.2.1]", "systemerror",
        "Postfix smtp_proto.c (the queue file could not be read)", status="deferred", dsn="4.3.0"),
    Row("smtp", "delivery temporarily suspended: connect to mx.example.net[192.0.2.1]:25: Connection refused",
        "networkerror", "Postfix qmgr_queue.c (dead destination) + smtp_connect.c", status="deferred", dsn="4.4.1"),
    Row("smtp", "delivery temporarily suspended: lost connection with mx.example.net[192.0.2.1] while receiving the "
        "initial server greeting", "networkerror", "Postfix qmgr_queue.c + smtp_proto.c", status="deferred",
        dsn="4.4.2"),
    Row("smtp", "delivery temporarily suspended: Host or domain name not found. Name service error for "
        "name=example.net type=MX: Host not found, try again", "networkerror", "Postfix qmgr_queue.c + dns_lookup.c",
        status="deferred", dsn="4.4.3"),
    Row("smtp", "lost connection with mx.example.net[192.0.2.1] while sending DATA command", "networkerror",
        "Postfix smtp_proto.c smtp_stream_except", status="deferred", dsn="4.4.2"),
    Row("smtp", "lost connection with mx.example.net[192.0.2.1] while sending end of data -- message may be sent "
        "more than once", "networkerror", "Postfix smtp_proto.c smtp_stream_except", status="deferred", dsn="4.4.2"),
    Row("smtp", "conversation with mx.example.net[192.0.2.1] timed out while performing the EHLO handshake",
        "networkerror", "Postfix smtp_proto.c smtp_stream_except", status="deferred", dsn="4.4.2"),
    Row("smtp", "delivery temporarily suspended: conversation with mx.example.net[192.0.2.1] timed out while "
        "receiving the initial server greeting", "networkerror", "Postfix qmgr_queue.c + smtp_proto.c",
        status="deferred", dsn="4.4.2"),
    Row("smtp", "delivery temporarily suspended: host mx.example.net[192.0.2.1] refused to talk to me: 421 4.7.0 "
        "mx.example.net Error: too many connections from 198.51.100.7", "toomanyconn",
        "Postfix qmgr_queue.c + smtp_proto.c smtp_helo", status="deferred", dsn="4.7.0"),
    Row("smtp", "TLSA lookup error for mx.example.net:25", "failedstarttls",
        "Postfix smtp_tls_policy.c (DANE; postfix.toml's reading)", status="deferred", dsn="4.7.5"),
    Row("smtp", "SASL authentication failed; server mx.example.net[192.0.2.1] said: 454 4.7.0 Temporary "
        "authentication failure: Connection lost to authentication server", "securityerror",
        "Postfix smtp_sasl_proto.c + smtpd_sasl_proto.c", status="deferred", dsn="4.7.0"),
    Row("qmgr", "mail transport unavailable", "systemerror", "Postfix qmgr_deliver.c", status="deferred",
        dsn="4.3.0"),
    Row("qmgr", "unknown mail transport error", "systemerror", "Postfix qmgr_deliver.c", status="deferred",
        dsn="4.3.0"),
    Row("qmgr", "address resolver failure", "systemerror", "Postfix qmgr_message.c (trivial-rewrite failed)",
        status="deferred", dsn="4.3.0"),
    # --- lmtp (the same client, to a mailbox server)
    Row("lmtp", "connect to imap.example.net[private/dovecot-lmtp]: No such file or directory", "networkerror",
        "Postfix smtp_connect.c smtp_connect_unix", status="deferred", dsn="4.4.1"),
    # --- local(8)
    Row("local", "unknown user: \"bob\"", "userunknown", "Postfix local/unknown.c deliver_unknown", dsn="5.1.1"),
    Row("local", "cannot update mailbox /var/mail/bob for user bob. error writing message: File too large",
        "mailboxfull", "Postfix local/mailbox.c deliver_mailbox_file + mail_copy.c (mailbox_size_limit, EFBIG: 5.2.2)",
        dsn="5.2.2"),
    Row("local", "cannot update mailbox /var/mail/bob for user bob. error writing message: Disk quota exceeded",
        "mailboxfull", "Postfix local/mailbox.c + mail_copy.c (EDQUOT: 5.2.2)", dsn="5.2.2"),
    Row("local", "cannot update mailbox /var/mail/bob for user bob. error writing message: No space left on device",
        "systemfull", "Postfix local/mailbox.c + mail_copy.c (ENOSPC: 4.3.0)", status="deferred", dsn="4.3.0"),
    Row("local", "cannot update mailbox /var/mail/bob for user bob. destination /var/mail/bob is not owned by "
        "recipient", "systemerror", "Postfix local/mailbox.c + mbox_open.c", status="deferred", dsn="4.2.0"),
    Row("local", "cannot update mailbox /var/mail/bob for user bob. unable to lock for exclusive access: Resource "
        "temporarily unavailable", "systemerror", "Postfix mbox_open.c + dot_lockfile.c", status="deferred",
        dsn="4.2.0"),
    Row("local", "create maildir file /home/bob/Maildir/tmp/1700000000.P1.mx: Disk quota exceeded", "mailboxfull",
        "Postfix local/maildir.c deliver_maildir (EDQUOT: 5.2.2)", dsn="5.2.2"),
    Row("local", "mail forwarding loop for bob@example.net", "systemerror",
        "Postfix local/recipient.c (Delivered-To: already present)", dsn="5.4.6"),
    Row("local", "alias database loop for bob", "systemerror", "Postfix local/alias.c deliver_alias", dsn="5.4.6"),
    Row("local", "Command died with status 1: \"/usr/bin/procmail\". Command output: procmail: Couldn't create "
        "\"/var/mail/bob\"", "mailererror", "Postfix pipe_command.c (local's command delivery)", dsn="5.3.0"),
    Row("local", "Command died with signal 9: \"/usr/bin/procmail\"", "mailererror", "Postfix pipe_command.c",
        status="deferred", dsn="4.3.0"),
    Row("local", "Command time limit exceeded: \"/usr/bin/procmail\"", "mailererror",
        "Postfix pipe_command.c (command_time_limit)", dsn="5.3.0"),
    Row("local", "mail to command is restricted", "systemerror",
        "Postfix local/command.c (allow_mail_to_commands)", dsn="5.7.1"),
    Row("local", "mail system configuration error", "systemerror", "Postfix local/local.c", status="deferred",
        dsn="4.3.5"),
    Row("local", "alias database unavailable", "systemerror", "Postfix local/alias.c", status="deferred",
        dsn="4.3.0"),
    Row("local", "user lookup error", "systemerror", "Postfix local/recipient.c (getpwnam failed)",
        status="deferred", dsn="4.3.0"),
    Row("local", "cannot append message to file /home/bob/mail.log: Permission denied", "systemerror",
        "Postfix local/file.c deliver_file", dsn="5.2.0"),
    Row("local", "cannot access home directory /home/bob: Permission denied", "systemerror",
        "Postfix local/recipient.c", status="deferred", dsn="4.3.0"),
    Row("local", "table lookup failure", "systemerror", "Postfix local/mailbox.c", status="deferred", dsn="4.3.0"),
    Row("local", "mail to file is restricted", "systemerror", "Postfix local/file.c (allow_mail_to_files)",
        dsn="5.7.1"),
    Row("local", "cannot update mailbox /var/mail/bob for user bob. destination /var/mail/bob is not a regular file",
        "systemerror", "Postfix local/mailbox.c + mbox_open.c", dsn="5.2.0"),
    # --- virtual(8)
    Row("virtual", "unknown user: \"bob@example.net\"", "userunknown", "Postfix virtual/unknown.c", dsn="5.1.1"),
    Row("virtual", "delivery failed to mailbox /var/mail/vhosts/example.net/bob: error writing message: Disk quota "
        "exceeded", "mailboxfull", "Postfix virtual/mailbox.c + mail_copy.c (EDQUOT: 5.2.2)", dsn="5.2.2"),
    Row("virtual", "delivery failed to mailbox /var/mail/vhosts/example.net/bob: error writing message: File too "
        "large", "mailboxfull", "Postfix virtual/mailbox.c + mail_copy.c (virtual_mailbox_limit, EFBIG)",
        dsn="5.2.2"),
    Row("virtual", "create maildir file /var/mail/vhosts/example.net/bob/tmp/1700000000.P1.mx: Disk quota exceeded",
        "mailboxfull", "Postfix virtual/maildir.c (EDQUOT: 5.2.2)", dsn="5.2.2"),
    Row("virtual", "recipient bob@example.net: uid not found in hash:/etc/postfix/vuids", "systemerror",
        "Postfix virtual/mailbox.c", status="deferred", dsn="4.3.0"),
    Row("virtual", "mail system configuration error", "systemerror", "Postfix virtual/virtual.c", status="deferred",
        dsn="4.3.5"),
    # --- pipe(8) (sys_exits.c texts and pipe_command.c)
    Row("pipe", "user unknown", "userunknown", "Postfix pipe.c + sys_exits.c EX_NOUSER (5.1.1)", dsn="5.1.1"),
    Row("pipe", "user unknown. Command output: bob: no such user", "userunknown",
        "Postfix pipe.c + sys_exits.c EX_NOUSER with the command's output", dsn="5.1.1"),
    Row("pipe", "host unknown", "hostunknown", "Postfix sys_exits.c EX_NOHOST (5.1.2)", dsn="5.1.2"),
    Row("pipe", "temporary failure. Command output: lda: Error: timeout", "mailererror",
        "Postfix sys_exits.c EX_TEMPFAIL (4.3.0)", status="deferred", dsn="4.3.0"),
    Row("pipe", "service unavailable. Command output: filter: cannot connect to daemon", "mailererror",
        "Postfix sys_exits.c EX_UNAVAILABLE (5.3.0)", dsn="5.3.0"),
    Row("pipe", "internal software error", "mailererror", "Postfix sys_exits.c EX_SOFTWARE (5.3.0)", dsn="5.3.0"),
    Row("pipe", "Command died with status 2: \"/usr/lib/dovecot/deliver\"", "mailererror",
        "Postfix pipe.c eval_command_status (an exit status outside sysexits.h)", dsn="5.3.0"),
    Row("pipe", "Command time limit exceeded: \"/usr/lib/dovecot/deliver\"", "mailererror",
        "Postfix pipe_command.c (transport_time_limit)", dsn="5.3.0"),
    Row("pipe", "message too large", "mesgtoobig", "Postfix pipe.c (size= limit of the pipe transport, 5.2.3)",
        dsn="5.2.3"),
    Row("pipe", "mail forwarding loop for bob@example.net", "systemerror", "Postfix pipe.c (Delivered-To: present)",
        dsn="5.4.6"),
    Row("pipe", "temporary failure", "mailererror", "Postfix sys_exits.c EX_TEMPFAIL, no command output",
        status="deferred", dsn="4.3.0"),
    Row("pipe", "data format error", "mailererror", "Postfix sys_exits.c EX_DATAERR, no command output", dsn="5.6.0"),
    Row("pipe", "local configuration error", "mailererror", "Postfix sys_exits.c EX_CONFIG, no command output",
        status="deferred", dsn="4.3.5"),
    Row("pipe", "Command died with signal 11: \"/usr/lib/dovecot/deliver\"", "mailererror", "Postfix pipe_command.c",
        status="deferred", dsn="4.3.0"),
    # --- error(8), trivial-rewrite relocated_maps
    Row("error", "User unknown in virtual alias table", "userunknown",
        "Postfix trivial-rewrite resolve.c + error(8)", dsn="5.1.1"),
    Row("error", "User has moved to bob@example.com", "hasmoved", "Postfix trivial-rewrite resolve.c relocated_maps",
        dsn="5.1.6"),
    Row("error", "mail for example.net loops back to myself", "systemerror",
        "Postfix error(8) with a loop-back nexthop text", dsn="5.4.6"),
]


def record_of(tmp_path: Path, row: Row):
    log = tmp_path / "maillog"
    log.write_text(line_of(row) + "\n")
    (record,) = read_records([str(log)])
    return record


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.kind}:{r.reason}:{r.text[:40]}" for r in ROWS])
def test_postfix_text_gets_its_reason(tmp_path: Path, row: Row) -> None:
    record = record_of(tmp_path, row)
    assert record.reason == row.reason, (row.source, record.rule)


def test_breadth() -> None:
    """At least 80 distinct Postfix texts are checked."""
    assert len({row.text for row in ROWS}) >= 80

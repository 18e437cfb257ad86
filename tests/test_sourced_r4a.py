"""Round 4a wordings (sources-r4a.toml): rejections a generic 5.7.x code or nothing decided before.

Each row is built from the source's text (cPanel's Exim ACLs, Exim, Sendmail's cf and binary, blacklist-milter,
Microsoft's Hotmail replies...) with made-up hosts, addresses and numbers.  The classifier of the phrase files written
from sources alone must give the reason by a phrase, and so must the bundled classifier.
"""

from __future__ import annotations

import pytest
from test_sourced_phrases import assert_sourced, record, sourced_classifier

ROWS = [
    # hostunknown / rejected: cPanel exim.conf.dist router fail_remote_domains
    ("cPanel fail_remote_domains", "The mail server could not deliver mail to bob@example.net.  The account or domain "
     "may not exist, they may be blacklisted, or missing the proper dns entries.", None, None, None, "hostunknown"),
    ("cPanel fail_remote_domains (sender verify)", "550 The mail server does not recognize alice@example.org as a valid "
     "sender.", "550", None, "MAIL", "rejected"),
    # blocked: cPanel ACLs, blacklist-milter
    ("cPanel spamhaus_rbl", "550 JunkMail rejected - (helo.example.org) [192.0.2.7]:41784 is in an RBL: "
     "https://www.spamhaus.org/query/ip/192.0.2.7", "550", None, "RCPT", "blocked"),
    ("cPanel spamcop_rbl with 5.7.1", "550 5.7.1 JunkMail rejected - mail.example.org [192.0.2.8]:25 is in an RBL, see",
     "550", "5.7.1", "RCPT", "blocked"),
    ("cPanel spammerlist", "550 Your host is not allowed to connect to this server.", "550", None, "RCPT", "blocked"),
    ("cPanel blockedcountryips", "550 5.7.1 Your country is not allowed to connect to this server.", "550", "5.7.1",
     "RCPT", "blocked"),
    ("cPanel requirehelonoforge", "550 REJECTED - Bad HELO - Host impersonating [mail.example.net]", "550", None, "MAIL",
     "blocked"),
    ("cPanel requirehelonoforge (IP)", "550 REJECTED - Interface: 192.0.2.9 is _my_ address", "550", None, "MAIL",
     "blocked"),
    ("AT&T DNSBL:RBL", "553 5.3.0 DNSBL:RBL - for assistance forward this error to abuse_rbl@abuse-att.net", "553",
     "5.3.0", "RCPT", "blocked"),
    ("blacklist-milter", "550 5.7.1 Your IP is blacklisted because you are sending spam", "550", "5.7.1", "DATA",
     "blocked"),
    ("SpamCop sendmail dnsbl text", "550 5.7.1 Spam blocked see: http://spamcop.net/bl.shtml?192.0.2.10", "550",
     "5.7.1", "RCPT", "blocked"),
    # DNSBL TXT records as MTAs pass them on
    ("SORBS TXT via Postfix", "554 5.7.1 Service unavailable; Client host [192.0.2.18] blocked using dnsbl.sorbs.net; "
     "Currently Sending Spam See: http://www.sorbs.net/lookup.shtml?192.0.2.18", "554", "5.7.1", "RCPT", "blocked"),
    ("SORBS DUHL TXT via rblsmtpd", "451 Dynamic IP Addresses See: http://www.sorbs.net/lookup.shtml?192.0.2.19", "451",
     None, "RCPT", "blocked"),
    ("SORBS spam TXT via Exim", "550 5.7.1 Spam Received See: http://www.sorbs.net/lookup.shtml?192.0.2.20", "550",
     "5.7.1", "RCPT", "blocked"),
    ("SpamRATS TXT", "550 SPAMRATS IP Addresses See: http://www.spamrats.com/bl?192.0.2.21", "550", None, "RCPT",
     "blocked"),
    ("LashBack UBL TXT", "550 5.7.1 Sender has sent to LashBack Unsubscribe Probe accounts", "550", "5.7.1", "RCPT",
     "blocked"),
    ("WPBL TXT", "554 Spam source - http://wpbl.info/record?ip=192.0.2.22", "554", None, "RCPT", "blocked"),
    ("blocklist.de TXT", "550 5.7.1 Infected System, see http://www.blocklist.de/en/view.html?ip=192.0.2.23", "550",
     "5.7.1", "RCPT", "blocked"),
    ("PSBL TXT", "550 5.7.1 Listed in PSBL, see http://psbl.org/listing?ip=192.0.2.24", "550", "5.7.1", "RCPT",
     "blocked"),
    ("dial-up range TXT", "550 5.7.1 Dial-Up/Cable/DSL IP Range - Use your providers SMTP Gateway", "550", "5.7.1",
     "RCPT", "blocked"),
    ("InterServer TXT", "550 5.7.1 Blocked at http://sigs.interserver.net/ip?ip=192.0.2.25", "550", "5.7.1", "RCPT",
     "blocked"),
    ("korea.services.net TXT", "550 Blocked due to spam, see http://korea.services.net/blocked.phtml?addr=192.0.2.26",
     "550", None, "RCPT", "blocked"),
    # badreputation / policyviolation: Windows Live Hotmail
    ("Hotmail SC-001", "550 SC-001 (BAY0-MC1-F12) Mail rejected by Windows Live Hotmail for policy reasons. Reasons for "
     "rejection may be related to content with spam-like characteristics or IP/domain reputation problems.", "550", None,
     "RCPT", "badreputation"),
    ("Hotmail OU-001", "550 OU-001 Mail rejected by Windows Live Hotmail for policy reasons.", "550", None, "RCPT",
     "policyviolation"),
    # spamdetected
    ("cPanel deny_spam_score_over_int", "550 The mail server detected your message as spam and has prevented delivery.",
     "550", None, "DATA", "spamdetected"),
    ("Barracuda NDR (blacklist-milter)", "Your message to: bob@example.net\nwas blocked by our Spam Firewall. The email "
     "you sent with the following\nsubject has NOT BEEN DELIVERED:", None, None, None, "spamdetected"),
    # authfailure
    ("cPanel dkim_bl", "550 DKIM: encountered the following problem validating example.org: signature_incorrect",
     "550", None, "DATA", "authfailure"),
    ("policyd-spf Reason_Message (Postfix)", "554 5.7.1 <bob@example.net>: Recipient address rejected: Message "
     "rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=alice@example.org;"
     "ip=192.0.2.15;r=bob@example.net", "554", "5.7.1", "RCPT", "authfailure"),
    ("policyd-spf Reason_Message (deferred)", "450 4.7.1 Message deferred due to: SPF Temperror: DNS Timeout. Please "
     "see http://www.openspf.net/Why?s=mfrom;id=alice@example.org;ip=192.0.2.16;r=bob@example.net", "450", "4.7.1",
     "RCPT", "authfailure"),
    ("policyd-weight REJECTMSG", "550 Mail appeared to be SPAM or forged. Ask your Mail/DNS-Administrator to correct "
     "HELO and DNS MX settings or to get removed from DNSBLs; MTA helo: mail, MTA hostname: unknown[192.0.2.17] "
     "(helo/hostname mismatch)", "550", None, "RCPT", "spamdetected"),
    # policyviolation
    ("sendmail milter default reject (DATA)", "554 5.7.1 Command rejected", "554", "5.7.1", "DATA", "policyviolation"),
    ("sendmail milter default reject (RCPT)", "550 5.7.1 Command rejected", "550", "5.7.1", "RCPT", "policyviolation"),
    ("rspamd multimap default", "554 5.7.1 Matched map: LOCAL_SENDER_MAP", "554", "5.7.1", "DATA", "policyviolation"),
    # speeding
    ("cPanel ratelimit", "451 The server has reached its limit for processing requests from your host.  Please try "
     "again later.", "451", None, "RCPT", "speeding"),
    ("rspamd ratelimit soft reject", "451 4.7.1 Ratelimit exceeded", "451", "4.7.1", "RCPT", "speeding"),
    # securityerror
    ("cPanel primary_hostname_bl", "550 You do not have sufficient privileges to send mail to this address.  Please "
     "authenticate and try again.", "550", None, "RCPT", "securityerror"),
    # IndiMail qmail-smtpd.c (qmail's "(#5.7.1)" made the generic code decide before)
    ("IndiMail err_nogateway", "553 sorry, that domain isn't allowed to be relayed thru this MTA without authentication "
     "#5.7.1", "553", "5.7.1", "RCPT", "norelaying"),
    ("OVH qmail relay reply", "553 sorry, that domain isn't allowed to be relayed thru this MTA (#5.7.1)", "553",
     "5.7.1", "RCPT", "norelaying"),
    ("IndiMail err_relay", "550 we don't relay (#5.7.1)", "550", "5.7.1", "RCPT", "norelaying"),
    ("IndiMail smtp_paranoid", "553 sorry, your IP address (192.0.2.11) PTR (reverse DNS) record points to wrong "
     "hostname (#5.7.1)", "553", "5.7.1", "MAIL", "requireptr"),
    ("IndiMail smtp_ptr", "553  Sorry, no PTR (reverse DNS) record for (192.0.2.12) (#5.7.1)", "553", "5.7.1", "MAIL",
     "requireptr"),
    ("IndiMail err_nogateway (forging)", "553 sorry, this MTA does not accept masquerading/forging #5.7.1", "553",
     "5.7.1", "MAIL", "rejected"),
    ("IndiMail err_bmf", "553 sorry, your envelope sender has been denied (#5.7.1)", "553", "5.7.1", "MAIL", "rejected"),
    ("IndiMail err_badhelo", "553 sorry, your HELO/EHLO greeting is in my badhelo list (#5.7.1)", "553", "5.7.1",
     "MAIL", "blocked"),
    ("IndiMail err_hostaccess", "553 sorry, your host has been denied (#5.7.1)", "553", "5.7.1", "MAIL", "blocked"),
    ("IndiMail smtp_badhost", "553 sorry, your host (mail.example.org) has been denied (#5.7.1)", "553", "5.7.1",
     "MAIL", "blocked"),
    ("IndiMail smtp_badip", "421 sorry, your IP (192.0.2.13) is temporarily denied (#4.7.1)", "421", "4.7.1", "MAIL",
     "blocked"),
    ("IndiMail smtp_relayreject", "553 No mail accepted from an open relay (192.0.2.14); check your server configs "
     "(#5.7.1)", "553", "5.7.1", "MAIL", "blocked"),
    ("IndiMail err_acl", "553 sorry, sites access list denies transaction (#5.7.1)", "553", "5.7.1", "RCPT",
     "policyviolation"),
    ("IndiMail log_virus", "552-we don't accept email with the below content (#5.3.4)\n552 Further Information: "
     "banned pattern", "552", "5.3.4", "DATA", "contenterror"),
    ("qmail-smtpd err_hmf", "553 sorry, your envelope sender domain must exist (#5.7.1)", "553", "5.7.1", "MAIL",
     "rejected"),
    ("qmail-spp sender domain plugin", "553 sorry, your envelope sender domain must exist: example.org (#5.7.1)", "553",
     "5.7.1", "MAIL", "rejected"),
    ("qmail-smtpd err_bhelo", "553 sorry, your HELO host name has been denied (#5.7.1)", "553", "5.7.1", "MAIL",
     "blocked"),
    # iRedAPD (iRedMail's policy server) texts as Postfix passes them on
    ("iRedAPD reject_null_sender", "554 5.7.1 <bob@example.net>: Recipient address rejected: Policy rejection due to "
     "null sender", "554", "5.7.1", "RCPT", "policyviolation"),
    ("iRedAPD reject", "554 5.7.1 <bob@example.net>: Recipient address rejected: Policy rejection", "554", "5.7.1",
     "RCPT", "policyviolation"),
    ("iRedAPD reject_forged_sender", "554 5.7.1 <bob@example.net>: Recipient address rejected: SMTP AUTH is required "
     "for users under this sender domain", "554", "5.7.1", "RCPT", "securityerror"),
    ("iRedAPD reject_sender_login_mismatch", "554 5.7.1 <bob@example.net>: Recipient address rejected: Sender is not "
     "same as SMTP authenticate username", "554", "5.7.1", "RCPT", "securityerror"),
    ("iRedAPD reject_message_size_exceeded", "554 5.7.1 <bob@example.net>: Recipient address rejected: Message size "
     "exceed (maybe caused by big attachment file)", "554", "5.7.1", "RCPT", "mesgtoobig"),
    ("iRedAPD reject_blacklisted_rdns", "554 5.7.1 <bob@example.net>: Recipient address rejected: Blacklisted reverse "
     "DNS name of server IP address", "554", "5.7.1", "RCPT", "blocked"),
    ("iRedAPD reject_low_sender_score", "554 5.7.1 <bob@example.net>: Recipient address rejected: Server IP address has "
     "bad reputation. FYI: https://www.senderscore.org/lookup.php?lookup=192.0.2.27", "554", "5.7.1", "RCPT",
     "badreputation"),
    # mailererror
    ("Exim deliver.c", "*** Error in setting up pipe, file, or autoreply:\n(address_pipe transport not set)", None,
     None, None, "mailererror"),
    ("Exim pipe.c", "timeout while writing to pipe", None, None, None, "mailererror"),
]


@pytest.mark.parametrize(("source", "text", "smtp", "enhanced", "command", "reason"), ROWS,
                         ids=[f"{row[-1]}-{row[0]}" for row in ROWS])
def test_a_round_4a_wording_gives_its_reason(source: str, text: str, smtp: str | None, enhanced: str | None,
                                             command: str | None, reason: str) -> None:
    assert_sourced(text, smtp, enhanced, command, reason)


def test_a_virus_notice_of_the_barracuda_ndr_is_not_spam() -> None:
    """The Barracuda NDR's spam wording is vague: a virus named in the same notice decides."""
    text = ("Your message to: bob@example.net\nwas blocked by our Spam Firewall. The email you sent with the following\n"
            "subject has NOT BEEN DELIVERED:\n\nReason: virus detected")
    assert sourced_classifier().classify(record(text, None, None, None)).reason != "spamdetected"


def test_a_milter_rejection_with_a_specific_code_keeps_the_code() -> None:
    """Sendmail's "Command rejected" says no cause: a specific enhanced code beats it."""
    decided = sourced_classifier().classify(record("550 5.7.26 Command rejected", "550", "5.7.26", "DATA"))
    assert decided.rule == "code:5.7.26"

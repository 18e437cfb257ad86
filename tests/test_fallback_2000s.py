"""Notices of 2000s-era MTAs and mail services that no decoder family claims, each in the shape of a
template its source gives (the source on each row; addresses and hosts made up).  Each must give its
failed recipients and a diagnostic through the whole pipeline (``records_of``) and, for the text-only
notices, through the generic fallback alone; never the bounce's sender or addressee, the postmaster
the notice names, or the addresses of the returned original's header (From, Reply-To, the other To/Cc)."""

from __future__ import annotations

from email import message_from_string
from email.message import Message

import pytest

from analyzer.formats.bounce import fallback, records_of, scan
from analyzer.formats.bounce.mail import Mail

#: The returned original: its sender, Reply-To and a Cc that did not fail must never be taken.
ORIGINAL = ("Received: from client.example.org (client.example.org [192.0.2.7]) by mx.example.org\n"
            "From: Alice <alice@example.org>\nReply-To: carol@example.org\nTo: {to}\nCc: erin@example.com\n"
            "Subject: hello\nMessage-ID: <1@example.org>\n\nHi, write to frank@example.com if this fails.\n")
HELP = "\nIf you need help, write to postmaster@mx.example.net.\n"


def notice(body: str, subject: str, sender: str, to: str = "bob@example.net", attach: bool = True) -> Message:
    """A text notice, its original attached as message/rfc822 (``attach``) or already quoted in ``body``."""
    head = f"From: {sender}\nTo: alice@example.org\nSubject: {subject}\nDate: Mon, 16 Jul 2007 19:17:22 +0100\n"
    if not attach:
        return message_from_string(head + "Content-Type: text/plain\n\n" + body + HELP)
    return message_from_string(
        head + 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
        + body + HELP + "\n--b\nContent-Type: message/rfc822\n\n" + ORIGINAL.format(to=to) + "\n--b--\n")


TWO = "bob@example.net, dave@example.com"
INLINE = "\n" + ORIGINAL.format(to="bob@example.net, dave@example.com")

TEXT_NOTICES = [
    # hMailServer: SEND_FAILED_NOTIFICATION (hmailserver/hmailserver source/DBScripts/CreateTablesMSSQL.sql), each
    # failed recipient "address\r\n" + its error (source/Server/SMTP/ExternalDelivery.cpp _CollectDeliveryResult)
    pytest.param("Your message did not reach some or all of the intended recipients.\n\n   Sent: Mon, 16 Jul 2007\n"
                 "   Subject: hello\n\nThe following recipient(s) could not be reached:\n\nbob@example.net\n"
                 "   Error Type: SMTP\n   Remote server (192.0.2.1) issued an error.\n   hMailServer sent: RCPT "
                 "TO:<bob@example.net>\n   Remote server replied: 550 5.1.1 User unknown\n\n\nhMailServer\n",
                 "Message undeliverable: hello", "mailer-daemon@mx.example.net", "bob@example.net",
                 ["bob@example.net"], id="hmailserver"),
    # hMailServer: no MX for the domain (ExternalDelivery.cpp _HandleNoRecipientServers), two recipients
    pytest.param("Your message did not reach some or all of the intended recipients.\n\n   Sent: Mon, 16 Jul 2007\n"
                 "   Subject: hello\n\nThe following recipient(s) could not be reached:\n\nbob@example.net\n"
                 "   Error Type: SMTP\n   Error Description: No mail servers appear to exists for the recipient's "
                 "address.\n\ndave@example.com\n   Error Type: SMTP\n   Error Description: Unable to find the "
                 "recipient's email server. The DNS query has failed.\n\nTried 5 time(s)\n\nhMailServer\n",
                 "Message undeliverable: hello", "mailer-daemon@mx.example.net", TWO,
                 ["bob@example.net", "dave@example.com"], id="hmailserver-no-mx"),
    # Microsoft SMTP service (IIS, Exchange 2000/2003): https://pastebin.com/CPtpMARD
    pytest.param("This is an automatically generated Delivery Status Notification.\n\nDelivery to the following "
                 "recipients failed.\n\n       bob@example.net\n       dave@example.com\n\n",
                 "Delivery Status Notification (Failure)", "postmaster@mx.example.net", TWO,
                 ["bob@example.net", "dave@example.com"], id="smtpsvc"),
    # Exchange 2000/2003: Microsoft KB 284204, https://www.betaarchive.com/wiki/index.php?title=Microsoft_KB_Archive/284204
    pytest.param("Your message did not reach some or all of the intended recipients.\n\n      Subject:\thello\n"
                 "      Sent:\t7/11/2001 9:20 AM\n\nThe following recipient(s) could not be reached:\n\n"
                 "      bob@example.net on 7/11/2001 9:20 AM\n            The e-mail account does not exist at the "
                 "organization this message was sent to.\n            <mx.example.net #5.1.1>\n\n"
                 "      dave@example.com on 7/11/2001 9:20 AM\n            The recipient's mailbox is full.\n"
                 "            <mx.example.net #5.2.2>\n",
                 "Undeliverable: hello", "System Administrator <postmaster@mx.example.net>", TWO,
                 ["bob@example.net", "dave@example.com"], id="exchange-2003"),
    # Exchange 5.5: Microsoft KB 251152, https://mskb.pkisolutions.com/kb/251152 (the summary names the To)
    pytest.param("Your message\n\n  To:      bob@example.net\n  Subject: test\n  Sent:    Mon, 17 Jan 2000 16:48:45 "
                 "-0500\n\ndid not reach the following recipient(s):\n\nbob@example.net on Mon, 17 Jan 2000 16:49:22 "
                 "-0500\n    The recipient name is ambiguous.\n    The MTS-ID of the original message is: c=US;a= "
                 ";p=Example;l=SERVER1-000117214845Z-1\n    MSEXCH:IMS:Example:Site:SERVER1 0 (000C0595) "
                 "Ambiguous Recipient\n",
                 "Undeliverable: test", "System Administrator <postmaster@mx.example.net>", "bob@example.net",
                 ["bob@example.net"], id="exchange-5.5"),
    # Lotus Domino: the layout of data/bounce_fallback.toml's "was not delivered to:" heading, the router's failure
    # reason "User ... not listed in Domino Directory" (https://vorkbaard.nl/create-a-catch-all-address-in-ibm-domino-9/)
    pytest.param("Your message\n\n  Subject: hello\n\nwas not delivered to:\n\n  bob@example.net\n  dave@example.com"
                 "\n\nbecause:\n\n  User bob (bob@example.net) not listed in Domino Directory\n",
                 "DELIVERY FAILURE: User bob (bob@example.net) not listed in Domino Directory",
                 "Postmaster@mx.example.net", TWO, ["bob@example.net", "dave@example.com"], id="domino"),
    # Lotus Domino: the failure reason alone names the recipient (vorkbaard.nl, above)
    pytest.param("User bob (bob@example.net) not listed in Domino Directory\n",
                 "DELIVERY FAILURE: User bob (bob@example.net) not listed in Domino Directory",
                 "Postmaster@mx.example.net", "bob@example.net", ["bob@example.net"], id="domino-reason-only"),
    # XMail: davidel/xmail QueueUtils.cpp QueUtBuildErrorResponse() ("[<00>] XMail bounce: Rcpt=[%s];Error=[%s]",
    # "Mail From: <%s>", "Rcpt To:   <%s>", then the initial part of the message)
    pytest.param("[<00>] XMail bounce: Rcpt=[bob@example.net];Error=[550 5.1.1 <bob@example.net>... User unknown]"
                 "\n\n\n[<01>] Error sending message [1234.5678] from [mx.example.net].\n\nID:        <S1234>\n"
                 "Mail From: <alice@example.org>\nRcpt To:   <bob@example.net>\nServer:    <mx.example.com> "
                 "[192.0.2.1]\n\n\n[<02>] The reason of the delivery failure was:\n\n550 5.1.1 User unknown\n",
                 "Undeliverable", "MAILER-DAEMON@mx.example.net", "bob@example.net", ["bob@example.net"], id="xmail"),
    # ZMailer: rzachariassen/zmailer scheduler/msgerror.c ("FAILED:", "  <%s>: ", the report copied in the text)
    # under the header of proto/forms/delivery
    pytest.param("This is a collection of reports about email delivery\nprocess concerning a message you originated."
                 "\n\nFAILED:\n  <bob@example.net>: ...\\\n        <<- RCPT TO:<bob@example.net>\n        ->> 550 "
                 "5.1.1 User unknown\n\nFollowing is a copy of MESSAGE/DELIVERY-STATUS format section below.\n\n"
                 "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: RFC822; bob@example.net\nAction: failed\n"
                 "Status: 5.1.1\n",
                 "Returned mail: see the transcript", "The Post Office <postmaster@mx.example.net>",
                 "bob@example.net", ["bob@example.net"], id="zmailer"),
    # ZMailer's text copy of its report, each field's value on the line under its name, its transcript with "<<-"
    # and "->>" (vger.kernel.org's "Delivery reports about your email [FAILED(1)]" of 20 Jun 2007, quoted in the
    # linux-kernel list archive, repository ammarfaizi2/lore-inbox); the MAIL From of the transcript is the sender
    pytest.param("This is a collection of reports about email delivery\nprocess concerning a message you originated."
                 "\n\nReporting-MTA: dns; lists.example.org\nArrival-Date: Wed, 20 Jun 2007 06:36:19 -0400\n\n\n"
                 "FAILED:\n  Original Recipient:\n      rfc822;bob@example.net\n  Final Recipient:\n      "
                 "RFC822;bob@example.net\n  Status:\n      5.0.0\n  Remote MTA:\n      dns; mx.example.net\n"
                 "  Diagnostic Code:\n      smtp; 553 (Message-Id header line format error)\n  Control data:\n"
                 "      smtp example.net bob@example.net 99\n  Diagnostic texts:\n      <<- MAIL From:<carol@example.org>"
                 " BODY=8BITMIME\n      ->> 250 2.1.0 <carol@example.org>... Sender ok\n      <<- RCPT "
                 "To:<bob@example.net>\n      ->> 250 2.1.5 <bob@example.net>... Recipient ok\n      <<- DATA\n"
                 "      ->> 553 Message-Id header line format error\n",
                 "Delivery reports about your email [FAILED(1)]", "The Post Office <postmaster@lists.example.org>",
                 "bob@example.net", ["bob@example.net"], id="zmailer-2007"),
    # ZMailer, two recipients of one session (the report of 21 Sep 2001 in the same archive: the second recipient's
    # RCPT in the first one's transcript)
    pytest.param("This is a collection of reports about email delivery\nprocess concerning a message you originated."
                 "\n\nFAILED:\n  Original Recipient:\n    rfc822;bob@example.net\n  Control data:\n    smtp "
                 "example.net bob@example.net 99\n  Diagnostic texts:\n...\\\n    <<- MAIL From:<carol@example.org>\n"
                 "    ->> 250 2.1.0 <carol@example.org>... Sender ok\n    <<- RCPT To:<dave@example.com>\n    ->> 250 "
                 "2.1.5 <dave@example.com>... Recipient ok\n    <<- DATA\n    ->> 553 5.0.0 Possible Spam\nFAILED:\n"
                 "  Original Recipient:\n    rfc822;dave@example.com\n  Control data:\n    smtp example.com "
                 "dave@example.com 99\n",
                 "Delivery reports about your email [FAILED(2)]", "The Post Office <postmaster@lists.example.org>",
                 TWO, ["bob@example.net", "dave@example.com"], id="zmailer-2001"),
    # Courier 0.10 (1999): courier/doc/courierdsn.html, https://fossies.org/linux/courier/courier/doc/courierdsn.html
    # (its From is "<@>")
    pytest.param("This is a delivery status notification from mx.example.net,\nrunning the Courier mail server, "
                 "version 0.10.\n\n                           UNDELIVERABLE MAIL\n\nYour message to the following "
                 "recipients cannot be delivered:\n\n<bob@example.net>:\n    mx.example.com [192.0.2.1]:\n>>> RCPT "
                 "TO:<bob@example.net>\n<<< 550 5.1.1 User unknown\n",
                 "NOTICE: mail delivery status.", '"Courier mail server at mx.example.net" <@>', "bob@example.net",
                 ["bob@example.net"], id="courier"),
    # Novell GroupWise: the "undeliverable to the following" heading of data/bounce_fallback.toml, two recipients
    pytest.param("The message that you sent was undeliverable to the following:\n\tbob@example.net (user not found)"
                 "\n\tdave@example.com (host not found)\n\nPossible reasons for the problem:\n",
                 "Undeliverable mail", "postmaster@mx.example.net", TWO, ["bob@example.net", "dave@example.com"],
                 id="groupwise"),
    # "Mail System Error - Returned Mail" (a received copy quoted at https://www.sweetstudy.com/files/
    # emailclassification1-zip:enron-spam/enron5/spam/4690.2005-07-19.SA_and_HP.spam.txt)
    pytest.param("This Message was undeliverable due to the following reason:\n\nEach of the following recipients "
                 "was rejected by a remote mail server.\nThe reasons given by the server are included to help you "
                 "determine why\neach recipient was rejected.\n\n    Recipient: <bob@example.net>\n    Reason:    "
                 "Invalid recipient: <bob@example.net>\n",
                 "Mail System Error - Returned Mail", "MAILER-DAEMON@mx.example.net", "bob@example.net",
                 ["bob@example.net"], id="mail-system-error"),
    # Verizon's "Mail System Error - Returned Mail" of 13 Jul 2004 (from "Mail Administrator <Postmaster@...>"),
    # quoted on linux-kernel ("Re: Fwd: Mail System Error - Returned Mail", repository ammarfaizi2/lore-inbox)
    pytest.param("     Host example.net not found\n\nThe following recipients did not receive this message:\n\n"
                 "     <bob@example.net>\n\nPlease reply to Postmaster@mx.example.net\nif you feel this message to be "
                 "in error.\n",
                 "Mail System Error - Returned Mail", "Mail Administrator <Postmaster@mx.example.net>",
                 "bob@example.net", ["bob@example.net"], id="verizon-2004"),
    # MMDF's return of failed mail (NishiOwO/mmdf src/niftp/rtn_proc.c: subject "Failed mail", "Your message was
    # not delivered to the following addresses:", each address after a tab, "Your message begins as follows:")
    pytest.param("\nYour message was not delivered to the following addresses: \n\n\tbob@example.net\n\n\n"
                 "    Your message begins as follows:\n\nFrom: Alice <alice@example.org>\nTo: bob@example.net, "
                 "dave@example.com\nSubject: hello\n\nhi\n",
                 "Failed mail", "MMDF Mail System <mmdf@mx.example.net>", TWO, ["bob@example.net"], id="mmdf"),
    # AOL, a sendmail transcript: http://help.aol.co.uk/mailer-daemon-email-message/article/20060816080909990020
    pytest.param("   ----- Transcript of session follows -----\n... while talking to air29.mail.example.com.:\n"
                 ">>> RCPT To:<bob@example.net>\n<<< 550 Mailbox not found\n550 <bob@example.net>... User unknown\n",
                 "Returned mail: User unknown", "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>",
                 "bob@example.net", ["bob@example.net"], id="aol-sendmail"),
    # sendmail 8.12 (2006), the verdict "(reason: ...)" under its heading: https://hjp.at/(en)/mail/dsn/
    pytest.param("The original message was received at Sun, 27 Aug 2006 22:03:44 +0200\nfrom localhost [127.0.0.1]\n"
                 "\n   ----- The following addresses had permanent fatal errors -----\n<bob@example.net>\n    "
                 "(reason: 550 no such user <bob@example.net>)\n\n   ----- Transcript of session follows -----\n"
                 "... while talking to mx.example.com.:\n>>> DATA\n<<< 550 no such user <bob@example.net>\n"
                 "550 5.1.1 <bob@example.net>... User unknown\n",
                 "Returned mail: see transcript for details", "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>",
                 "bob@example.net", ["bob@example.net"], id="sendmail-8.12"),
    # Yahoo's qmail, the address only inside the remote's reply ("This user doesn't have a yahoo.com account
    # (testing123@yahoo.com)"): https://de.hilfe.yahoo.com/kb/Es-gibt-weitere-Informationen-%EF%BF%BD%EF%BF%BDber-
    # nicht-zugestellte-E-Mails-sln3275.html
    pytest.param("Hi. This is the qmail-send program at mx.example.net.\nI'm afraid I wasn't able to deliver your "
                 "message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work "
                 "out.\n\n192.0.2.1 failed after I sent the message.\nRemote host said: 554 delivery error: dd This "
                 "user doesn't have a example.net account (bob@example.net) [-5] - mta1.mail.example.net\n",
                 "failure notice", "MAILER-DAEMON@mx.example.net", "bob@example.net", ["bob@example.net"],
                 id="yahoo-qmail"),
    # an address literal (RFC 5321 4.1.3) in a Postfix-style line
    pytest.param("This is the Postfix program at host mx.example.net.\n\n<bob@[192.0.2.1]>: unknown user\n",
                 "Undelivered Mail Returned to Sender", "MAILER-DAEMON@mx.example.net", "bob@[192.0.2.1]",
                 ["bob@[192.0.2.1]"], id="address-literal"),
    # a one-label domain (RFC 5321 4.1.2 Domain = sub-domain *("." sub-domain)) in sendmail's shapes
    pytest.param("   ----- The following addresses had permanent fatal errors -----\nbob@mailhost\n\n   ----- "
                 "Transcript of session follows -----\n550 bob@mailhost... User unknown\n",
                 "Returned mail: User unknown", "MAILER-DAEMON@mx.example.net", "bob@mailhost", ["bob@mailhost"],
                 id="one-label-domain"),
]

INLINE_NOTICES = [
    # Ipswitch IMail: one "<failure wording>: <address>" line per recipient, the original after "Original message
    # follows." (data/bounce_fallback.toml's IMail rule)
    pytest.param("Unknown user: bob@example.net\nUser mailbox exceeds allowed size: dave@example.com\n\n"
                 "Original message follows.\n" + INLINE,
                 "Undeliverable Mail", "postmaster@mx.example.net", ["bob@example.net", "dave@example.com"],
                 id="imail-two"),
    # CompuServe's Electronic Postmaster: Microsoft KB Q136413 ("? Invalid receiver address: <address>\nYour
    # message could not be delivered as addressed."), http://cwcyrix.ddnsfree.com/ftp-archives/ftp.microsoft.com/
    # Products/peropsys/GEN_INFO/KB/Q136/4/13.TXT; its From and "------- Returned Message --------": KB Q153060,
    # https://library.thedatadungeon.com/msdn-1998-06/kb/Source/exchange/q153060.content.htm
    pytest.param("? Invalid receiver address: bob@example.net\n\nYour message could not be delivered as addressed.\n"
                 "\n------- Returned Message --------\n\nSender: alice@example.org\n" + INLINE,
                 "Undeliverable message", "Electronic Postmaster <POSTMASTER@mx.example.net>", ["bob@example.net"],
                 id="compuserve"),
    # DBMail's own bounce (dbmail/dbmail bounce.c, BOUNCE_NO_SUCH_USER: "This is DBMAIL-SMTP program.", "your message,
    # addressed to %s,could not be delivered", "E-mail address %s is not known here.", then the original's header)
    pytest.param("This is DBMAIL-SMTP program.\nI'm sorry to inform you that your message, addressed to "
                 "bob@example.net,could not be delivered due to the following error.\nE-mail address bob@example.net "
                 "is not known here.\nHeader of your message follows...\n\n--- header of your message ---\n" + INLINE,
                 "DBMAIL: delivery failure", "dbmail-bounce@mx.example.net", ["bob@example.net"], id="dbmail"),
    # sendmail of 1991, the local part only in the verdict ("550 lsimpson... User unknown"):
    # http://softlab.ntua.gr/facilities/documentation/internet/zen-1.0/zen-1.0_14.html
    pytest.param("   ----- Transcript of session follows -----\nWhile talking to mx.example.net:\n>>> RCPT "
                 "To:<bob@example.net>\n<<< 550 <bob@example.net>... User unknown\n550 bob... User unknown\n\n"
                 "   ----- Unsent message follows -----\n" + INLINE,
                 "Returned mail: User unknown", "Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>",
                 ["bob@example.net"], id="sendmail-1991"),
]


def _check(message: Message, expected: list[str]) -> None:
    records = records_of(message, "test")
    assert [r.recipient for r in records] == expected
    assert all(r.diagnostic for r in records)


@pytest.mark.parametrize(("body", "subject", "sender", "to", "expected"), TEXT_NOTICES)
def test_a_2000s_notice_gives_its_recipients(body: str, subject: str, sender: str, to: str,
                                            expected: list[str]) -> None:
    _check(notice(body, subject, sender, to), expected)
    # the generic fallback alone, as for an MTA nobody wrote a decoder for, with the original and without it
    # (the notice's text names the recipients itself, not only the original's To)
    for attach in (True, False):
        hits = fallback.decode(Mail(notice(body, subject, sender, to, attach=attach)))
        assert [h.recipient for h in hits] == expected
        assert all(h.diagnostic for h in hits)


@pytest.mark.parametrize(("body", "subject", "sender", "expected"), INLINE_NOTICES)
def test_a_2000s_notice_with_the_original_inline_gives_its_recipients(body: str, subject: str, sender: str,
                                                                     expected: list[str]) -> None:
    _check(notice(body, subject, sender, attach=False), expected)
    hits = fallback.decode(Mail(notice(body, subject, sender, attach=False)))
    assert [h.recipient for h in hits] == expected


def _mdn(text: str, sender: str, disposition: str) -> Message:
    return message_from_string(
        f"From: {sender}\nTo: <alice@example.org>\nSubject: Automatically rejected mail\n"
        "Auto-Submitted: auto-replied (rejected)\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"\n\n'
        f"--r\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
        "--r\nContent-Type: message/disposition-notification\n\n"
        "Reporting-UA: mx.example.net; Example\nFinal-Recipient: rfc822; bob@example.net\n"
        f"Original-Message-ID: <1@example.org>\nDisposition: {disposition}\n\n"
        "--r\nContent-Type: message/rfc822\n\n" + ORIGINAL.format(to=TWO) + "\n--r--\n")


@pytest.mark.parametrize(("text", "sender"), [
    # Dovecot's deliver (1.0, src/deliver/mail-send.c mail_send_rejection()): the recipient only in the MDN
    ("Your message was automatically rejected by Dovecot Mail Delivery Agent.\n\nThe following reason was given:\n"
     "Quota exceeded\n", "Mail Delivery Subsystem <postmaster@mx.example.net>"),
    # Cyrus lmtpd's Sieve reject (imap/lmtp_sieve.c send_rejection())
    ("Your message was automatically rejected by Sieve, a mail\nfiltering language.\n\nThe following reason was "
     "given:\nI do not accept mail from you\n", "Mail Sieve Subsystem <postmaster@mx.example.net>"),
])
def test_a_sieve_or_lda_rejection_gives_the_mdns_final_recipient(text: str, sender: str) -> None:
    # RFC 5429 2.1.1: a reject is an MDN with "Disposition: automatic-action/MDN-sent-automatically; deleted"
    message = _mdn(text, sender, "automatic-action/MDN-sent-automatically; deleted")
    (record,) = records_of(message, "test")
    assert (record.recipient, record.status) == ("bob@example.net", "bounced")
    assert "reason was given" in (record.diagnostic or "")


def test_a_read_receipt_is_not_a_failure() -> None:
    # RFC 8098 3.2.6: "displayed" (and a user's own "deleted", manual-action) say nothing about a delivery
    for disposition in ("manual-action/MDN-sent-manually; displayed", "manual-action/MDN-sent-manually; deleted"):
        message = _mdn("The message was displayed.\n", "Bob <bob@example.net>", disposition)
        message.replace_header("Subject", "Read: hello")
        del message["Auto-Submitted"]
        assert records_of(message, "test") == []


def test_the_address_shapes_rfc_5321_allows() -> None:
    assert scan.addresses("to <bob@[192.0.2.1]>, carol@[IPv6:2001:db8::1] and dave@mailhost.") == [
        "bob@[192.0.2.1]", "carol@[ipv6:2001:db8::1]", "dave@mailhost"]

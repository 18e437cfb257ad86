"""Round 7 wordings (analyzer/data/phrases/sources-r7.toml): bounce and reply texts in languages other than English -
Exchange's Spanish NDR, Domino's Spanish report, Outlook.com's Italian and French error names, Gmail's German and
localized "Address not found" notices, Italian and Spanish hosts' texts.

Each row is built from the source's wording (named in the data file) with made-up hosts and addresses; like
tests/test_sourced_phrases.py, the classifier of the source-derived phrase files must give the reason by a phrase, and so
must the bundled classifier.  The near misses below keep the reason they had before this round.
"""

from __future__ import annotations

import pytest

from analyzer.classify import default_classifier
from tests.test_sourced_phrases import assert_sourced, record, sourced_classifier

ROWS = [
    # userunknown
    ("Exchange 2013 Spanish NDR", "No se pudo encontrar la dirección de correo electrónico que escribiste. Comprueba la "
     "dirección de correo electrónico del destinatario y trata de volver a mandar el mensaje.", None, None, None,
     "userunknown"),
    ("Exchange Spanish NDR with the remote reply", "No se pudo encontrar la dirección de correo electrónico que "
     "escribiste.\nGenerando servidor: mx.example.org\nbob@example.net\nRemote Server returned '550 5.1.1 "
     "RESOLVER.ADR.ExRecipNotFound; not found'", "550", "5.1.1", None, "userunknown"),
    ("Exchange Spanish NDR without accents", "No se pudo encontrar la direccion de correo electronico que escribio.",
     None, None, None, "userunknown"),
    ("Domino Spanish report (Libreta)", "El usuario bob@example.net no se encuentra en la Libreta de direcciones "
     "pública", None, None, None, "userunknown"),
    ("Domino Spanish report (Directorio)", "bob@example.net no se encuentra en el Directorio de Domino", None, None, None,
     "userunknown"),
    ("Outlook.com it-it", "550 Mailbox non trovata", "550", None, "RCPT", "userunknown"),
    ("Outlook.com it-it", "Cassetta postale non trovata o non valida oppure utente sconosciuto", None, None, None,
     "userunknown"),
    ("Outlook.com it-it", "Mailbox non valida", None, None, None, "userunknown"),
    ("Gmail help de", "Das E-Mail-Konto, das Sie kontaktieren möchten, ist nicht vorhanden.", None, None, None,
     "userunknown"),
    # mailboxfull
    ("Outlook.com it-it", "Cassetta postale piena o quota superata", None, None, None, "mailboxfull"),
    ("Outlook.com it-it", "452 Spazio disponibile superato", "452", None, "RCPT", "mailboxfull"),
    ("Italian host's text", "Your mailbox is full. Please delete unnecessary emails. La sua casella di posta elettronica "
     "ha raggiunto e superato il limite massimo consentito.", None, None, None, "mailboxfull"),
    ("Italian host's text, Italian half only", "La sua casella di posta elettronica ha raggiunto e superato il limite "
     "massimo consentito.", None, None, None, "mailboxfull"),
    ("Outlook.com fr-fr", "Quota dépassé", None, None, None, "mailboxfull"),
    ("Outlook.com fr-fr, ASCII", "552 5.2.2 QUOTA DEPASSE", "552", "5.2.2", "RCPT", "mailboxfull"),
    ("Gmail help de", "Der Posteingang des Empfängers hat keinen freien Speicherplatz.", None, None, None,
     "mailboxfull"),
    # filtered
    ("Aruba PEC", "554 <bob@example.net>: Messaggio rifiutato dal sistema. Indirizzo destinatario sconosciuto o non "
     "abilitato alla ricezione di posta non certificata", "554", None, "RCPT", "filtered"),
    # suspend
    ("Spanish ISP", "550 Esta casilla ha expirado por falta de uso", "550", None, "RCPT", "suspend"),
    # hostunknown
    ("Outlook.com it-it", "Host sconosciuto", None, None, None, "hostunknown"),
    ("Outlook.com it-it", "Domain Lookup non riuscito per example.net", None, None, None, "hostunknown"),
    # norelaying
    ("German gloss", "550 5.7.1 Relay nicht erlaubt", "550", "5.7.1", "RCPT", "norelaying"),
    # temporary failures
    ("Outlook.com it-it", "Time out della connessione con mx.example.net", None, None, None, "networkerror"),
    ("Outlook.com it-it", "Risorse temporaneamente non disponibili", None, None, None, "systemerror"),
    # expired
    ("Spanish warning list", "tiempo de entrega vencido", None, None, None, "expired"),
]


@pytest.mark.parametrize(("source", "text", "smtp", "enhanced", "command", "reason"), ROWS,
                         ids=[f"{row[0]}: {row[1][:40]}" for row in ROWS])
def test_a_sourced_wording_gives_its_reason(source: str, text: str, smtp: str | None, enhanced: str | None,
                                            command: str | None, reason: str) -> None:
    assert_sourced(text, smtp, enhanced, command, reason)


@pytest.mark.parametrize(("text", "smtp", "enhanced", "command", "reason"), [
    # an IP address that was not found is not the recipient's address
    ("Indirizzo IP non trovato", None, None, None, "onhold"),
    # a sending quota is not the mailbox's
    ("quota d'envoi dépassé", None, None, None, "onhold"),
    # Outlook.com's "Mailbox non disponibile" is left vague on purpose (sometimes a passing account problem)
    ("Mailbox non disponibile", None, None, None, "onhold"),
    # the unknown user stays the user's, the unknown domain the host's
    ("Utente sconosciuto", None, None, None, "userunknown"),
    ("Dominio non trovato", None, None, None, "hostunknown"),
    # the Spanish expiry warning is vague like every expiry sentence: the quoted cause decides
    ("tiempo de entrega vencido\n550 5.1.1 <bob@example.net>: User unknown", "550", "5.1.1", "RCPT", "userunknown"),
    ("tiempo de entrega vencido\n452 4.2.2 Mailbox full", "452", "4.2.2", "RCPT", "mailboxfull"),
])
def test_near_misses_keep_their_reason(text: str, smtp: str | None, enhanced: str | None, command: str | None,
                                       reason: str) -> None:
    for classifier in (sourced_classifier(), default_classifier()):
        assert classifier.classify(record(text, smtp, enhanced, command)).reason == reason

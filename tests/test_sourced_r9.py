"""Round 9 wordings (analyzer/data/phrases/sources-r9.toml): the languages of issue 8 that no earlier file read - GNU
Mailutils' delivery agent in all 15 languages of its Debian catalogue, MailScanner's notices to the sender in Brazilian
Portuguese, Dutch, Swedish, Czech, German, French (with its English half), Spanish and Italian, Seznam's and Czech hosts'
replies, one more Outlook ja-jp NDR reason.

Each row is the source's wording (named in the data file) with made-up hosts and addresses ("bob" for Mailutils' "%s",
the user name); like tests/test_sourced_phrases.py, the classifier of the source-derived phrase files must give the
reason by a phrase, and so must the bundled classifier.  The near misses below keep the reason they had before.
"""

from __future__ import annotations

import pytest

from analyzer.classify import default_classifier
from tests.test_sourced_phrases import assert_sourced, record, sourced_classifier

ROWS = [
    # GNU Mailutils mda (Debian mailutils-common 1:3.15-4, mailutils.mo): the English msgids, then each translation
    ("Mailutils mda en", "bob: mailbox quota exceeded for this recipient", None, None, None, "mailboxfull"),
    ("Mailutils mda en, LMTP", "452 4.2.2 bob: mailbox quota exceeded for this recipient", "452", "4.2.2", "RCPT",
     "mailboxfull"),
    ("Mailutils mda en", "bob: message would exceed maximum mailbox size for this recipient", None, None, None,
     "mailboxfull"),
    ("Mailutils mda ca", "bob: s'ha excedit la quota de bústia per a aquest destinatari", None, None, None, "mailboxfull"),
    ("Mailutils mda ca", 'bob: el missatge excediria la mida màxima de bústia per a aquest destinatari', None, None, None, "mailboxfull"),
    ("Mailutils mda ca", "bob: no existeix l'usuari", None, None, None, "userunknown"),
    ("Mailutils mda da", 'bob: ingen sådan bruger', None, None, None, "userunknown"),
    ("Mailutils mda de", 'bob: Postfachgrößenkontingent wurde für diesen Empfänger überschritten', None, None, None, "mailboxfull"),
    ("Mailutils mda de", 'bob: Die Nachricht würde die maximale Postfachgröße dieses Empfängers übersteigen', None, None, None, "mailboxfull"),
    ("Mailutils mda de", 'bob: kein solcher Benutzer', None, None, None, "userunknown"),
    ("Mailutils mda es", 'bob: se excedió la cuota del buzón para este destinatario', None, None, None, "mailboxfull"),
    ("Mailutils mda es", 'bob: el mensaje excedería el tamaño máximo del buzón para este destinatario', None, None, None, "mailboxfull"),
    ("Mailutils mda es", 'bob: no existe ese usuario', None, None, None, "userunknown"),
    ("Mailutils mda fi", 'bob: tämän vastaanottajan sähköpostilaatikkokiintiö ylitettiin', None, None, None, "mailboxfull"),
    ("Mailutils mda fi", 'bob: viesti ylittäisi tämän vastaanottajan sähköpostilaatikon enimmäiskoon', None, None, None, "mailboxfull"),
    ("Mailutils mda fi", 'bob: tuntematon käyttäjä', None, None, None, "userunknown"),
    ("Mailutils mda fr", 'bob: dépassement de quota de la boîte aux lettres du destinataire', None, None, None, "mailboxfull"),
    ("Mailutils mda fr", 'bob: le message excède la taille maximale de la boîte aux lettre du destinataire', None, None, None, "mailboxfull"),
    ("Mailutils mda id", 'bob: kuota kotak surat dilewati untuk penerima ini', None, None, None, "mailboxfull"),
    ("Mailutils mda id", 'bob: pesan akan melebihi ukuran maksimal kotak surat untuk penerima ini', None, None, None, "mailboxfull"),
    ("Mailutils mda id", 'bob: tidak ada pengguna seperti itu', None, None, None, "userunknown"),
    ("Mailutils mda pl", 'bob: przekroczono limit rozmiaru skrzynki pocztowej tego odbiorcy', None, None, None, "mailboxfull"),
    ("Mailutils mda pl", 'bob: wiadomość przekroczyłaby dozwolony rozmiar skrzynki dla tego odbiorcy', None, None, None, "mailboxfull"),
    ("Mailutils mda pl", 'bob: brak takiego użytkownika', None, None, None, "userunknown"),
    ("Mailutils mda pt_BR", 'bob: cota da caixa de correio excedida para este destinatário', None, None, None, "mailboxfull"),
    ("Mailutils mda pt_BR", 'bob: a mensagem excederia o tamanho máximo de caixa de correio para esse destinatário', None, None, None, "mailboxfull"),
    ("Mailutils mda ro", 'bob: quota maibox-ului a fost depășită pentru acest recipient', None, None, None, "mailboxfull"),
    ("Mailutils mda ro", 'bob: mesajul va depăși mărimea maximă a mailbox-ului pentru acest recipient', None, None, None, "mailboxfull"),
    ("Mailutils mda ro", 'bob: nu există user-ul', None, None, None, "userunknown"),
    ("Mailutils mda ru", 'bob: пользователь превысил квоту на размер почтового ящика', None, None, None, "mailboxfull"),
    ("Mailutils mda ru", 'bob: прием сообщения превысил бы максимальный размер почтового ящика для этого адресата', None, None, None, "mailboxfull"),
    ("Mailutils mda ru", 'bob: нет такого пользователя', None, None, None, "userunknown"),
    ("Mailutils mda sr", 'bob: квота сандучета је премашена за овог примаоца', None, None, None, "mailboxfull"),
    ("Mailutils mda sr", 'bob: порука ће премашити највећу величину сандучета за овог примаоца', None, None, None, "mailboxfull"),
    ("Mailutils mda sr", 'bob: нема таквог корисника', None, None, None, "userunknown"),
    ("Mailutils mda sv", 'bob: kvot för brevlåda överstigen för denna mottagare', None, None, None, "mailboxfull"),
    ("Mailutils mda sv", 'bob: meddelande skulle överskrida maximal storlek för den här mottagarens brevlåda', None, None, None, "mailboxfull"),
    ("Mailutils mda sv", 'bob: ingen sådan användare', None, None, None, "userunknown"),
    ("Mailutils mda uk", 'bob: вичерпано обмеження розміру скриньки для цього одержувача', None, None, None, "mailboxfull"),
    ("Mailutils mda uk", 'bob: доставка повідомлення перевищила-б обмеження розміру скриньки для цього одержувача', None, None, None, "mailboxfull"),
    ("Mailutils mda uk", 'bob: немає такого користувача', None, None, None, "userunknown"),
    ("Mailutils mda vi", 'bob: hạn ngạch hộp thư bị vượt quá cho người nhận này', None, None, None, "mailboxfull"),
    ("Mailutils mda vi", 'bob: thư này sẽ vượt quá kích cỡ hộp thư tối đa cho người nhận này', None, None, None, "mailboxfull"),
    ("Mailutils mda vi", 'bob: không có người dùng như vậy', None, None, None, "userunknown"),
    # as Postfix pipe(8) quotes the delivery agent's output
    ("Mailutils mda pl under Postfix pipe", 'Command died with status 75: "/usr/bin/mda". Command output: bob: '
     "przekroczono limit rozmiaru skrzynki pocztowej tego odbiorcy", None, None, None, "mailboxfull"),
    ("Mailutils mda ru under Postfix pipe", 'Command died with status 67: "/usr/bin/mda". Command output: bob: '
     "нет такого пользователя", None, None, None, "userunknown"),
    # Seznam.cz, Microsoft ja-jp
    ("Seznam help", "Důvod / Reason:\n---------------\n\n5.1.1 szn; User hasn't got the service mapped\n\nPermanentní "
     "chyba na straně uživatele.\nPermanent Failure - Bad destination mailbox address", None, "5.1.1", None,
     "userunknown"),
    ("Seznam help, no code", "szn; User hasn\u2019t got the service mapped", None, None, None, "userunknown"),
    ("Outlook ja-jp NDR reason", "電子メール アドレスの形式が正しくありません", None, None, None, "userunknown"),
    # SPF refusals of Czech hosts
    ("Forpsi (grhosting.cz)", "550 5.1.0 0bcW1i00G0jifNx01bcmHa blocked by SPF", "550", "5.1.0", "RCPT", "authfailure"),
    ("C4 (faq.c4.cz)", "[SPF] 192.0.2.4 is not allowed to send mail from example.org.", None, None, None,
     "authfailure"),
    # MailScanner sender.virus.report.txt
    ("MailScanner pt_br virus", "Nosso sistema de detecção de vírus foi acionado ao analisar uma mensagem que\nvocê "
     "enviou:-\n  To: bob@example.net\n  Subject: test", None, None, None, "virusdetected"),
    ("MailScanner pt_br virus", "Qualquer parte do e-mail que estava infectada não pôde ser entregue.", None, None, None,
     "virusdetected"),
    ("MailScanner nl virus", "Onze virusscanner reageerde op een bericht dat u verstuurde:", None, None, None,
     "virusdetected"),
    ("MailScanner nl virus", "Besmette bijlagen zijn niet afgeleverd bij de ontvanger.", None, None, None,
     "virusdetected"),
    ("MailScanner se virus", "Virusscannern aktiverades på följande meddelande.", None, None, None, "virusdetected"),
    ("MailScanner se virus", "Infekterade delar har inte levererats till mottagaren.", None, None, None,
     "virusdetected"),
    ("MailScanner cz virus", "Nas detektor viru byl spusten zpravou, kterou posilate:-", None, None, None,
     "virusdetected"),
    ("MailScanner cz virus", "Zadna infikovana cast zpravy nebude dorucena.", None, None, None, "virusdetected"),
    ("MailScanner de virus", "Unser Virenscanner wurde durch eine Nachricht von Ihnen ausgelöst:\n  An: bob@example.net\n"
     "Alle infizierten Teile der Nachricht (a.exe)\nwurden entfernt.", None, None, None, "virusdetected"),
    ("MailScanner fr virus", "Notre passerelle antivirus a détecté un virus dans le courriel que \nvous venez d'envoyer:",
     None, None, None, "virusdetected"),
    ("MailScanner fr virus", "Les pièces jointes infectées ne seront pas transmises au \ndestinataire.", None, None, None,
     "virusdetected"),
    ("MailScanner es virus", "Nuestro detector de virus ha sido activado por un mensaje enviado por Usted:", None, None,
     None, "virusdetected"),
    ("MailScanner es virus", "Las partes del mensaje que estaban infectadas no han sido enviadas.", None, None, None,
     "virusdetected"),
    ("MailScanner it virus", "Il sistema antivirus e' stato sollecitato dal messaggio seguente:-", None, None, None,
     "virusdetected"),
    ("MailScanner it virus", "Ogni parte del messaggio ritenuta infetta non e' stata consegnata al destinatario.", None,
     None, None, "virusdetected"),
    # MailScanner sender.spam.report.txt: the opening sentence (vague) and the content sentence
    ("MailScanner pt_br spam", "Nosso sistema de detecção de SPAM  foi acionado ao analisar uma mensagem que\nvocê "
     "enviou:-", None, None, None, "spamdetected"),
    ("MailScanner nl spam", "Onze spamdetector reageerde op een bericht dat u heeft verzonden:", None, None, None,
     "spamdetected"),
    ("MailScanner se spam", "Vårt SPAM-skydd har blockerat ett meddelande ni skickat.", None, None, None,
     "spamdetected"),
    ("MailScanner cz spam", "Nas detektor UCE (spam-u) byl spusten zpravou, kterou posilate:-", None, None, None,
     "spamdetected"),
    ("MailScanner pt_br spam", "Sua mensagem foi caracterizada por spam beseando-se em seu conteúdo e no\nservidor que "
     "originou o email em questão.", None, None, None, "spamdetected"),
    ("MailScanner nl spam", "Op uw bericht is gereageerd op basis van de inhoud en/of de machine waar\nvandaan de "
     "e-mail was verstuurd.", None, None, None, "spamdetected"),
    ("MailScanner cz spam", "Vase zprava byla oznacena jako spam na zaklade sveho obsahu \nnebo postovniho serveru, "
     "ktery zpravu odeslal.", None, None, None, "spamdetected"),
    ("MailScanner se spam", "Domänen accepterar inte skräppost(SPAM) och arbetar aktivt för att stoppa\ndet.", None,
     None, None, "spamdetected"),
    ("MailScanner de spam", "Unsere Spam-Detektoren wurden durch eine Nachricht von Ihnen ausgelöst:", None, None, None,
     "spamdetected"),
    ("MailScanner fr spam", "Notre détecteur de polluriel n'a pas aimé votre courriel:", None, None, None,
     "spamdetected"),
    ("MailScanner fr spam, English half", "Our UCE (spam) detectors have been triggered by a message you sent:-", None,
     None, None, "spamdetected"),
    ("MailScanner es spam", "Nuestros detectores de correo electrónico no solicitado (UCE/spam)\nfueron activados debido "
     "a un mensaje enviado por Usted:", None, None, None, "spamdetected"),
    ("MailScanner it spam", "Il sistema di controllo sulle email commerciali e' stato sollecitato dalla seguente email:-",
     None, None, None, "spamdetected"),
    ("MailScanner fr spam", "Le contenu de votre courriel ainsi que le serveur duquel il nous est \nparvenu ont conduit à "
     "cette décision.", None, None, None, "spamdetected"),
    # MailScanner sender.spam.rbl.report.txt: the whole notice, whose opening sentence is the spam one
    ("MailScanner pt_br RBL", "Nosso sistema de detecção de SPAM  foi acionado ao analisar uma mensagem que\nvocê "
     "enviou:-\nA mensagem foi destruida.\n\nO servidor que está enviando esta mensagem está relacionado em uma "
     "lista-negra\nde sistemas de e-mail mal configurados ou \"abertos\" a prática de spam.", None, None, None,
     "blocked"),
    ("MailScanner nl RBL", "Onze spamdetector reageerde op een bericht dat u heeft verzonden:\nHet bericht is "
     "vernietigd.\n\nDe server die het bericht op onze machine afleverde is opgenomen in een\nopenbare zwarte lijst, "
     "slecht geconfigueerd of misbruikt.", None, None, None, "blocked"),
    ("MailScanner se RBL", "Vårt SPAM-skydd har stoppat ett meddelande ni skickat.\nMeddelandet har tagits bort.\n\n"
     "Meddelandet mottogs från en server som är svartlistad(RBL) som\ndåligt konfigurerad eller missbrukas för "
     "skräppost(SPAM).", None, None, None, "blocked"),
    ("MailScanner cz RBL", "Nas detektor UCE (spam-u) byl spusten zpravou, kterou posilate:-\nTato zprava byla "
     "vymazana.\n\nPostovni server, ktery nam poslal zpravu je veden na verejnem cernem seznamu\npodezrelych "
     "postovnich systemu(spatne nakonfigurovanych nebo zneuzivanych).", None, None, None, "blocked"),
    ("MailScanner de RBL", "Unsere Spam-Detektoren wurden durch eine Nachricht von Ihnen ausgelöst:\nDiese Nachricht "
     "wurde gelöscht.\n\nDer Server, der diese Nachricht an unsere Domain versendete, steht\nin der öffentlichen "
     "schwarzen Liste schlecht bzw. falsch konfigurierter\noder leicht zu missbrauchender Mail-Systeme.", None, None,
     None, "blocked"),
    ("MailScanner fr RBL", "Notre détecteur de polluriel n'a pas aimé votre courriel:\nCelui-ci a été détruit.\n\nLe "
     "serveur qui envoie ce courriel vers notre site est inscrit sur une\nliste noire de serveurs mal configurés ou mal "
     "utilisés.", None, None, None, "blocked"),
    ("MailScanner fr RBL, English half", "Our UCE (spam) detectors have been triggered by a message you sent:-\nThis "
     "message has been destroyed.\n\nThe server which is sending the message to our site is listed in a\npublic "
     "blacklist of badly configured or misused mail systems.", None, None, None, "blocked"),
    ("MailScanner es RBL", "Nuestros detectores de correo electrónico no solicitado (UCE/spam)\nfueron activados debido a "
     "un mensaje enviado por Usted:\nEste mensaje ha sido destruido.\n\nEl servidor que envió el mensaje a nuestro sitio "
     "está en una lista \nnegra pública (RBL), por estar mal configurado o utilizar \nincorrectamente los sistemas de "
     "correo electrónico.", None, None, None, "blocked"),
    ("MailScanner it RBL", "Il sistema di controllo sulle email commerciali e' stato sollecitato dalla seguente email:-\n"
     "Il messaggio e' stato distrutto.\n\nIl server che ha spedito il messaggio e' presente in liste pubbliche di sistemi "
     "mal configurati o fortemente sospettati di essere sorgente di spam-email.", None, None, None, "blocked"),
]


@pytest.mark.parametrize(("source", "text", "smtp", "enhanced", "command", "reason"), ROWS,
                         ids=[f"{row[0]}: {row[1][:40]}" for row in ROWS])
def test_a_sourced_wording_gives_its_reason(source: str, text: str, smtp: str | None, enhanced: str | None,
                                            command: str | None, reason: str) -> None:
    assert_sourced(text, smtp, enhanced, command, reason)


@pytest.mark.parametrize(("text", "smtp", "enhanced", "command", "reason"), [
    # a missing file or directory (the same catalogues' "no such file") is no missing user
    ("bob: brak takiego pliku lub katalogu", None, None, None, "onhold"),
    ("bob: нет такого файла или каталога", None, None, None, "onhold"),
    # the mailbox quota of Mailutils stays the mailbox's whatever the code class
    ("bob: kvot för brevlåda överstigen för denna mottagare", "452", "4.2.2", "RCPT", "mailboxfull"),
    # the Swedish "blockerat" is no English "blocked": MailScanner's spam opener stays spam
    ("Vårt SPAM-skydd har blockerat ett meddelande ni skickat.", "554", "5.7.1", "DATA", "spamdetected"),
])
def test_near_misses_keep_their_reason(text: str, smtp: str | None, enhanced: str | None, command: str | None,
                                       reason: str) -> None:
    for classifier in (sourced_classifier(), default_classifier()):
        assert classifier.classify(record(text, smtp, enhanced, command)).reason == reason


def test_the_spam_opener_is_vague() -> None:
    """MailScanner's opening sentence names the filter, not the cause: among the sourced phrases a specific code beats
    it (the bundled classifier's general.toml reads any bare "spam" as spamdetected, so only the sourced one shows it)."""
    decided = sourced_classifier().classify(record("Onze spamdetector reageerde op een bericht dat u heeft verzonden:",
                                                   "550", "5.1.1", "RCPT"))
    assert (decided.reason, decided.rule) == ("userunknown", "code:5.1.1")

"""One reply text explained: the reason, hard or soft, the rule that decided, the blocklist and the hint.

The same knowledge as a run: the reply is read by the Postfix status parser, decided by the
classifier, searched for a block list and explained by the report's choice of hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .advice import hint_for
from .blocklists import Listing, find_listing
from .classify import Classifier, default_classifier
from .formats.postfix_log import parse_reply
from .hints import Hints
from .records import Record
from .smtp import code_class

#: The status a reply text stands for, by its class, when the caller names none.
STATUS_OF_CLASS = {"2": "sent", "4": "deferred", "5": "bounced"}


@dataclass(frozen=True, slots=True)
class Explanation:
    """What the analyzer makes of one reply text (``analyzer.explain``)."""

    text: str
    status: str
    smtp_code: str | None
    enhanced_code: str | None
    remote_mta: str | None
    domain: str | None
    smtp_command: str | None
    category: str | None
    reason: str
    hard: bool
    rule: str
    sisimai_reason: str
    blocklist: Listing | None
    #: where the hint comes from (``reasons:blocked``, ``enhanced:5.7.1``...), empty without a hint
    hint: str = ""
    title: str = ""
    #: who must act: ``sender``, ``recipient`` or ``transport``
    side: str = ""
    retry: str = ""
    meaning: str = ""
    steps: tuple[str, ...] = field(default=())
    lang: str = "en"

    def __str__(self) -> str:
        from .report import render

        return render("explain.txt.j2", {"lang": self.lang}, e=self)

    def _repr_html_(self) -> str:
        from .report import render

        return render("notebook/explain.html.j2", {"lang": self.lang}, e=self)

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        listing = self.blocklist
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "blocklist"}
        data["steps"] = list(self.steps)
        data["blocklist"] = None if listing is None else {
            "name": listing.name, "item": listing.item, "url": listing.url,
            "how": listing.how_de if self.lang == "de" else listing.how_en}
        return data


def explain(text: str, status: str | None = None, command: str | None = None, domain: str | None = None,
            lang: str = "en", hints: Hints | None = None, classifier: Classifier | None = None
            ) -> Explanation:
    """Explain one SMTP reply or Postfix status text, as a run would classify it.

    ``status`` defaults to the one the reply's class stands for (``5``: bounced, ``4``: deferred,
    ``2``: sent; bounced without a code); ``command`` is the SMTP command it answered when the text
    does not say (``RCPT``, ``DATA``...); ``domain`` the recipient's domain (or address), which selects
    a provider's own wording as in a run.

    >>> explain("550 5.1.1 <someone@example.com>: Recipient address rejected: User unknown").reason
    'userunknown'
    """
    text = " ".join(text.split())
    if not text:
        raise ValueError("nothing to explain: the text is empty")
    hints = hints or Hints.load(lang)
    reply = parse_reply(text)
    klass = code_class(reply.enhanced_code, reply.smtp_code)
    record = Record(
        time=None, host=None, queue_id=None, sender=None, recipient=None,
        domain=domain.rpartition("@")[2].lower() if domain else None,
        status=status or STATUS_OF_CLASS.get(klass or "", "bounced"), smtp_code=reply.smtp_code,
        enhanced_code=reply.enhanced_code, code_class=klass, diagnostic=text, remote_mta=reply.remote_mta,
        reason=None, hard=None, source="explain", remote_ip=reply.remote_ip,
        smtp_command=command or reply.smtp_command, category=reply.category,
    )
    (classifier or default_classifier()).classify(record)
    assert record.reason is not None and record.rule is not None  # classify always decides
    hint = hint_for(hints, record.enhanced_code, record.smtp_code, record.category, record.reason,
                    record.rule)
    return Explanation(
        text=record.diagnostic or text, status=record.status, smtp_code=record.smtp_code,
        enhanced_code=record.enhanced_code, remote_mta=record.remote_mta,
        domain=record.domain, smtp_command=record.smtp_command,
        category=record.category, reason=record.reason, hard=bool(record.hard), rule=record.rule,
        sisimai_reason=record.sisimai_reason or record.reason,
        blocklist=find_listing(record.diagnostic or text),
        hint=f"{hint['group']}:{hint['key']}" if hint else "", title=hint["title"] if hint else "",
        side=hint["side"] if hint else "", retry=hint["retry"] if hint else "",
        meaning=hint["meaning"] if hint else "", steps=tuple(hint["steps"]) if hint else (), lang=hints.lang,
    )

"""Inputs -> formats -> classify: records (streaming) or one DataFrame (:func:`read_frame`, the engine's),
and the accounting of every input."""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from .classify import Classifier, default_classifier
from .engine import read_frame
from .formats import BY_NAME, sniff
from .records import Accounting, Record, Tally
from .sources import Input, InputError, open_inputs

__all__ = ["read_frame", "read_records"]


def read_records(
    inputs: Iterable[str] | str,
    accounting: Accounting | None = None,
    classifier: Classifier | None = None,
) -> Iterator[Record]:
    """Classified records of every input, one at a time; per-input counts go to ``accounting``.

    Raises :class:`InputError` for an input that does not exist or cannot be read.
    """
    accounting = accounting if accounting is not None else Accounting()
    classifier = classifier or default_classifier()
    carry: dict[str, Any] = {}
    for source in open_inputs(_specs(inputs), sniff):
        yield from _records_of(source, accounting, classifier, carry)


def _specs(inputs: Iterable[str] | str) -> list[str]:
    return [inputs] if isinstance(inputs, str) else list(inputs)


def _records_of(source: Input, accounting: Accounting, classifier: Classifier, carry: dict[str, Any]
                ) -> Iterator[Record]:
    fmt = BY_NAME[source.kind]
    tally = Tally(source=source.name, kind=fmt.NAME, unit=fmt.UNIT)
    accounting.tallies.append(tally)
    classify = classifier.classify
    try:
        for record in fmt.parse(source, tally, carry):
            yield classify(record)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as error:
        raise InputError(f"{source.name}: cannot read: {error}") from None
    accounting.warnings.extend(tally.warnings)

"""Inputs -> formats -> classify: the stream of records and the accounting of every input."""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Iterable, Iterator

from .classify import Classifier, default_classifier
from .formats import BY_NAME
from .formats import sniff
from .records import Accounting, Record, Tally
from .sources import InputError, open_inputs


def read_records(
    inputs: Iterable[str] | str,
    accounting: Accounting | None = None,
    classifier: Classifier | None = None,
) -> Iterator[Record]:
    """Classified records of every input; per-input counts go to ``accounting``.

    Raises :class:`InputError` for an input that does not exist or cannot be read.
    """
    specs = [inputs] if isinstance(inputs, str) else list(inputs)
    accounting = accounting if accounting is not None else Accounting()
    classify = (classifier or default_classifier()).classify
    for source in open_inputs(specs, sniff):
        fmt = BY_NAME[source.kind]
        tally = Tally(source=source.name, kind=fmt.NAME, unit=fmt.UNIT)
        accounting.tallies.append(tally)
        try:
            for record in fmt.parse(source, tally):
                yield classify(record)
        except (OSError, EOFError, lzma.LZMAError, zlib.error) as error:
            raise InputError(f"{source.name}: cannot read: {error}") from None
        accounting.warnings.extend(tally.warnings)

"""Citations of the standard in the source say what the cited part holds.

PS3.8 lists the seven PDU types in 9.3.1 (each type's value is in its own PDU's table);
Table 9-11 is the A-ASSOCIATE-RQ's fields and Table 9-1 a state of the state machine
(Sta1), so neither is the list of PDU types.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "dimsewire"
WRONG_FOR_PDU_TYPES = re.compile(r"Table 9-1(1)?\b")


def test_the_pdu_types_are_cited_from_ps3_8_9_3_1() -> None:
    wrong = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"PDU types?\b|0x01 to 0x07|01H to 07H", line)
        and WRONG_FOR_PDU_TYPES.search(line)
    ]
    assert not wrong, "\n".join(wrong)

"""mypy --strict rejects one exchange's credentials or config with another's
module, and accepts the right ones: the errors are recorded here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

MISUSE = {
    'Session(bybit, okx.Credentials(api_key="k", secret="s", password="p"))': "arg-type",
    'Session(bybit, bybit.Credentials(api_key="k", secret="s"), config=okx.CONFIG)': "misc",
    "wrong: okx.Config = config_with(bybit)": "assignment",
}
RIGHT = 'Session(bybit, bybit.Credentials(api_key="k", secret="s"), config=config_with(bybit))'


def test_another_exchanges_credentials_or_config_is_a_type_error(tmp_path: Path) -> None:
    lines = ["from wsauth import bybit, okx", "from wsauth.session import Session, config_with", *MISUSE, RIGHT]
    (tmp_path / "cross.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "cross.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    found = {int(line): code for line, code in re.findall(r"cross\.py:(\d+): error: .*\[([a-z-]+)\]", result.stdout)}
    expected = {number: code for number, code in enumerate(MISUSE.values(), start=3)}
    assert found == expected, result.stdout  # and nothing on the right line

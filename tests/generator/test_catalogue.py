"""The generator's own tests: the catalogue's closed schema (every problem
reported with its file, table and line, all at once, never defaulted), the
``python -m generator`` command line, and the pattern templates' contract."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import jinja2
import pytest

from generator.catalogue import CatalogueError, load, load_all
from generator.flows import FLOWS
from generator.render import TEMPLATES, environment
from generator.tree import PACKAGE_FILES, RUNTIME_FILES, render_tree
from tests.conformance import import_file
from wsauth.steps import NoSocketInReply, ping_interval_in, socket_url_in
from tests.paths import FIXTURES, ROOT

CATALOGUES = FIXTURES / "catalogues"

# A valid one-entry catalogue; most tests change one line of it. Lines:
#  1 [demo]   4 ws_url   5 expires_after_ms   6 signature   7 auth_frame
#  8 [demo.reply]   11 reason
GOOD = """\
[demo]
flow = "direct"
reference = "ccxt"
ws_url = "wss://example.com/ws"
expires_after_ms = 5000
signature = { message = "GET/realtime{expires_ms}", hash = "sha256", key = "raw", encoding = "hex" }
auth_frame = { op = "auth", args = ["{api_key}", "{expires_ms!s}", "{signature}"] }
[demo.reply]
success = [{ op = "auth", success = true }]
failure = [{ op = "auth", success = false }]
reason = ["ret_msg"]
"""

# A second valid entry, of another flow.
OTHER = """
[other]
flow = "inline"
reference = "ccxt"
ws_url = "wss://example.org/ws"
signature = { message = "{channel}{now_s}", hash = "sha256", key = "raw", encoding = "hex" }
subscribe_auth = { key = "{api_key}", time = "{now_s}", sign = "{signature}" }
[other.reply]
success = [{ event = "subscribed" }]
failure = [{ event = "error" }]
reason = ["message"]
"""


# A valid REST-first entry: the body and the headers are text.
REST = """\
[demo]
flow = "pre_auth"
reference = "ccxt"
ws_url = "wss://example.com/ws"
nonce = "now_ms"
rest = { method = "POST", url = "https://example.com/token", headers = { X-Key = "{api_key}", X-Sign = "{signature}" }, body = "nonce={nonce}", token = "token" }
signature = { message = "{nonce}{body}", hash = "sha256", key = "raw", encoding = "hex" }
[demo.reply]
success = []
failure = [{ e = "expired" }]
reason = ["e"]
"""


def edited(old: str, new: str, text: str = GOOD) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> list[str]:
    with pytest.raises(CatalogueError) as error:
        load(path)
    assert error.value.problems, "a CatalogueError must list its problems"
    return error.value.problems


def assert_reported(problems: list[str], path: Path, line: int, table: str, text: str) -> None:
    where = f"{path}:{line}: [{table}]"
    assert any(p.startswith(where) and text in p for p in problems), (
        f"no problem at {where} mentioning {text!r}; got:\n" + "\n".join(problems)
    )


def marked_line(text: str, marker: str = "# <-") -> int:
    """The 1-based line of ``text`` carrying ``marker``."""
    (line,) = [n for n, row in enumerate(text.split("\n"), 1) if marker in row]
    return line


def test_the_base_catalogues_are_valid(tmp_path: Path) -> None:
    entries = load(write(tmp_path, GOOD + OTHER))
    assert [(e.id, e.variants[0].flow) for e in entries] == [("demo", "direct"), ("other", "inline")]
    (rest,) = load(write(tmp_path, REST))
    assert rest.variants[0].flow == "pre_auth"


# --- one problem: named with its file, table and line ----------------------


@pytest.mark.parametrize(
    ("old", "new", "line", "table", "text"),
    [
        ('reference = "ccxt"', 'reference = "ccxt"\ncolour = "blue"', 4, "demo", "colour: unknown key"),
        ('reason = ["ret_msg"]', 'reason = ["ret_msg"]\nwhy = "because"', 12, "demo.reply", "why: unknown key"),
        ('encoding = "hex" }', 'encoding = "hex", salt = "pepper" }', 6, "demo.signature", "salt: unknown key"),
    ],
    ids=["entry", "reply table", "inline signature table"],
)
def test_unknown_key(tmp_path: Path, old: str, new: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new))
    assert_reported(refused(path), path, line, table, text)


@pytest.mark.parametrize("flow", ["telepathy", "Direct", "direct ", "pre-auth", ""])
def test_unknown_flow_is_refused_not_defaulted(tmp_path: Path, flow: str) -> None:
    path = write(tmp_path, edited('flow = "direct"', f"flow = {flow!r}"))
    problems = refused(path)
    assert_reported(problems, path, 2, "demo", f"flow: {flow!r} is not one of direct, pre_auth, inline, challenge")
    # Nothing else is checked against some other flow's recipe.
    assert len(problems) == 1, problems


@pytest.mark.parametrize(
    ("old", "new", "line", "table", "text"),
    [
        ("expires_after_ms = 5000", 'expires_after_ms = "soon"', 5, "demo", "expires_after_ms: expected int, got str"),
        ("expires_after_ms = 5000", "expires_after_ms = true", 5, "demo", "expires_after_ms: expected int, got bool"),
        ('reason = ["ret_msg"]', 'reason = "ret_msg"', 11, "demo.reply", "reason: expected list, got str"),
        ('ws_url = "wss://example.com/ws"', "ws_url = 443", 4, "demo", "ws_url: expected str, got int"),
        ("[demo.reply]", 'market_types = "spot"\n[demo.reply]', 8, "demo", "market_types: expected list, got str"),
    ],
    ids=["str for int", "bool for int", "str for list", "int for str", "str for list of str"],
)
def test_wrong_type(tmp_path: Path, old: str, new: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new))
    assert_reported(refused(path), path, line, table, text)


@pytest.mark.parametrize(
    ("old", "line", "table", "text"),
    [
        ('ws_url = "wss://example.com/ws"\n', 1, "demo", "missing key 'ws_url'"),
        ('reference = "ccxt"\n', 1, "demo", "missing key 'reference'"),
        ('reason = ["ret_msg"]\n', 8, "demo.reply", "missing key 'reason'"),
        ('hash = "sha256", ', 6, "demo.signature", "missing key 'hash'"),
    ],
    ids=["ws_url", "reference", "reply reason", "signature hash"],
)
def test_missing_required_field(tmp_path: Path, old: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, ""))
    assert_reported(refused(path), path, line, table, text)


@pytest.mark.parametrize(
    ("old", "new", "line", "table", "text"),
    [
        ('"{expires_ms!s}"', '"{nope}"', 7, "demo", "auth_frame: '{nope}': unknown value {nope}"),
        ('"GET/realtime{expires_ms}"', '"GET/realtime{expires_ms}{nope}"', 6, "demo.signature", "message: 'GET/realtime{expires_ms}{nope}': unknown value {nope}"),
        ('"{expires_ms!s}"', '"{api_key.upper}"', 7, "demo", "unknown value {api_key.upper}"),
        ('"{expires_ms!s}"', '"{}"', 7, "demo", "unknown value {}"),
        ('"{expires_ms!s}"', '"{expires_ms:>20}"', 7, "demo", "format specs are not supported"),
        ('"{expires_ms!s}"', '"{expires_ms!r}"', 7, "demo", "only the !s conversion is supported"),
        ('"{expires_ms!s}"', '"{expires_ms"', 7, "demo", "auth_frame: '{expires_ms'"),
    ],
    ids=["frame", "signed message", "attribute", "positional", "format spec", "repr", "unclosed"],
)
def test_unknown_template_value(tmp_path: Path, old: str, new: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new))
    assert_reported(refused(path), path, line, table, text)


def test_signature_computed_but_never_sent(tmp_path: Path) -> None:
    path = write(tmp_path, edited(', "{signature}"]', "]"))
    assert_reported(refused(path), path, 6, "demo", "signature: the signature is computed but never sent")


@pytest.mark.parametrize("name", ["challenge", "channel", "symbols_csv"])
def test_value_used_where_it_is_not_known(tmp_path: Path, name: str) -> None:
    # build_auth_message runs before any challenge or subscription exists: the
    # problem is the auth_frame line that names the value.
    path = write(tmp_path, edited('op = "auth"', f'op = "{{{name}}}"'))
    assert_reported(refused(path), path, 7, "demo", f"{{{name}}} is only known inside build_subscribe_auth")


@pytest.mark.parametrize(
    ("header", "table"),
    [("[Demo]", "Demo"), ("[9demo]", "9demo"), ("[de-mo]", "de-mo"), ('["demo.eu"]', "demo.eu"), ('["démo"]', "démo")],
)
def test_invalid_exchange_id(tmp_path: Path, header: str, table: str) -> None:
    reply_header = header[:-1] + ".reply]"
    path = write(tmp_path, edited("[demo.reply]", reply_header, edited("[demo]", header)))
    assert_reported(refused(path), path, 1, table, "an exchange id must match [a-z][a-z0-9_]*")


@pytest.mark.parametrize(
    ("old", "new", "line", "text"),
    [
        ("wss://example.com/ws", "https://example.com/ws", 4, "ws_url: must start with wss:// or ws://"),
        ("wss://example.com/ws", "wss:/example.com/ws", 4, "ws_url: must start with wss:// or ws://"),
        ("wss://example.com/ws", "example.com/ws", 4, "ws_url: must start with wss:// or ws://"),
        ("expires_after_ms", 'environments = { testnet = "http://example.com/ws" }\nexpires_after_ms', 5, "environments: must start with wss:// or ws://"),
        ("expires_after_ms", 'reference_url = "http://example.com/docs"\nexpires_after_ms', 5, "reference_url: must start with https://"),
    ],
    ids=["https ws_url", "one slash", "no scheme", "environment", "reference_url"],
)
def test_bad_url_scheme(tmp_path: Path, old: str, new: str, line: int, text: str) -> None:
    path = write(tmp_path, edited(old, new))
    assert_reported(refused(path), path, line, "demo", text)


def test_bad_rest_url_scheme(tmp_path: Path) -> None:
    text = """\
[demo]
flow = "pre_auth"
reference = "ccxt"
ws_url = "wss://example.com/ws"
rest = { method = "POST", url = "wss://example.com/token", headers = { X-Key = "{api_key}" }, body = "", token = "token" }
[demo.reply]
success = []
failure = [{ e = "expired" }]
reason = ["e"]
"""
    path = write(tmp_path, text)
    assert_reported(refused(path), path, 5, "demo.rest", "url: must start with https:// or http://")


# --- many problems: all of them, together ------------------------------------


def test_several_problems_in_one_file_are_all_reported_together() -> None:
    path = CATALOGUES / "several_problems.toml"
    text = path.read_text(encoding="utf-8")
    expected = [
        (line, match.group(1), match.group(2))
        for line, row in enumerate(text.split("\n"), 1)
        if (match := re.search(r"# expect \[([^\]]+)\]: (.*)$", row))
    ]
    assert len(expected) == 8
    problems = refused(path)
    for line, table, message in expected:
        assert_reported(problems, path, line, table, message)
    assert len(problems) == len(expected), "\n".join(problems)


def test_an_unknown_key_does_not_hide_the_other_problems_of_its_table(tmp_path: Path) -> None:
    text = edited('ws_url = "wss://example.com/ws"', 'ws_url = "https://example.com/ws"\ncolour = "blue"')
    text = edited('"{expires_ms!s}"', '"{nope}"', text)
    path = write(tmp_path, text)
    problems = refused(path)
    assert_reported(problems, path, 5, "demo", "colour: unknown key")
    assert_reported(problems, path, 4, "demo", "ws_url: must start with wss:// or ws://")
    assert_reported(problems, path, 8, "demo", "unknown value {nope}")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"{expires_ms!s}"', '"{nope}"'),  # the frame still sends {signature}
        ('encoding = "hex" }', 'encoding = "hex", salt = "pepper" }'),  # the table still exists
    ],
    ids=["bad template beside {signature}", "unknown key in signature"],
)
def test_one_mistake_is_one_problem(tmp_path: Path, old: str, new: str) -> None:
    # A follow-on complaint ("never sent", "no signature table") about a part
    # that is written correctly sends the reader to the wrong line.
    problems = refused(write(tmp_path, edited(old, new)))
    assert len(problems) == 1, "\n".join(problems)


# --- line numbers: the line the problem is written on ------------------------

LINE_CASES = {
    "key after a header with a comment": """\
[demo]  # the demo exchange
flow = "direct"
reference = "ccxt"
ws_url = "ftp://example.com/ws"  # <-
auth_frame = { op = "auth" }
[demo.reply]  # its replies
success = []
failure = []
reason = []
""",
    "key inside an inline reply table": """\
[demo]
flow = "direct"
reference = "ccxt"
ws_url = "wss://example.com/ws"
auth_frame = { op = "auth" }
reply = { success = [], failure = [], reason = [], colour = 1 }  # <-
""",
    "dotted key": """\
[demo]
flow = "direct"
reference = "ccxt"
ws_url = "wss://example.com/ws"
auth_frame = { op = "auth" }
reply.success = []
reply.failure = []
reply.reason = []
reply.colour = 1  # <-
""",
    "header with spaces around the dot": """\
[ demo ]
flow = "direct"
reference = "ccxt"
ws_url = "wss://example.com/ws"
auth_frame = { op = "auth" }
[ demo . reply ]
success = []
failure = []
reason = []
colour = 1  # <-
""",
    "key written inside an earlier multi-line string": '''\
[demo]
flow = "direct"
reference = "ccxt"
signature = { message = """GET
ws_url = is not a key here
{now_ms}""", hash = "sha256", key = "raw", encoding = "hex" }
ws_url = "https://example.com/ws"  # <-
auth_frame = { op = "auth", sig = "{signature}" }
[demo.reply]
success = []
failure = []
reason = []
''',
    "entry written only as sub-tables": """\
# Two markets, but no [gate] table.

[gate.markets.spot]  # <-
flow = "direct"
reference = "ccxt"
ws_url = "wss://example.com/ws"
auth_frame = { op = "auth" }
[gate.markets.spot.reply]
success = []
failure = []
reason = []
""",
    "entry written as a top-level inline table": """\
# One line per exchange.

demo = { flow = "direct", reference = "ccxt", ws_url = "ftp://x", auth_frame = { op = "a" }, reply = { success = [], failure = [], reason = [] } }  # <-
""",
    "after a comment holding U+2028": """\
# Copied from the exchange's docs:\u2028 sign, then send.
[demo]
flow = "direct"
reference = "ccxt"
ws_url = "ftp://example.com/ws"  # <-
auth_frame = { op = "auth" }
[demo.reply]
success = []
failure = []
reason = []
""",
}


@pytest.mark.parametrize("text", LINE_CASES.values(), ids=LINE_CASES.keys())
def test_problem_is_reported_on_the_line_it_is_written(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    line = marked_line(text)
    problems = refused(path)
    assert all(p.startswith(f"{path}:{line}: ") for p in problems), "\n".join(problems)


# --- whatever the input, load answers with a CatalogueError ------------------

CRASH_CASES = {
    "date in a frame": ('op = "auth"', 'op = "auth", day = 2026-01-01', 7),
    "date in a reply predicate": ("success = true }]", "when = 2026-01-01 }]", 9),
    "int signature message": ('message = "GET/realtime{expires_ms}"', "message = 5", 6),
}


@pytest.mark.parametrize(("old", "new", "line"), CRASH_CASES.values(), ids=CRASH_CASES.keys())
def test_a_bad_value_is_a_problem_not_a_crash(tmp_path: Path, old: str, new: str, line: int) -> None:
    path = write(tmp_path, edited(old, new))
    problems = refused(path)  # not a TypeError from deep inside
    assert any(p.startswith(f"{path}:{line}: [demo") for p in problems), "\n".join(problems)


def test_a_default_market_that_is_not_a_name_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    text = edited("[demo]", '[demo]\ndefault_market = ["spot"]\n[demo.markets.spot]')
    path = write(tmp_path, text.replace("[demo.reply]", "[demo.markets.spot.reply]"))
    assert_reported(refused(path), path, 2, "demo", "default_market")


# --- what the checker passes, the generated code must run ---------------------

REFUSE_CASES = {
    "inf in a frame": ('op = "auth"', 'op = "auth", limit = inf'),
    "nan in a frame": ('op = "auth"', 'op = "auth", ratio = nan'),
    # signed in build_subscribe_auth AND in build_auth_message, where no channel exists
    "subscribe-only value behind a shared signature": (
        '"GET/realtime{expires_ms}"',
        '"GET/realtime{expires_ms}{channel}"',
    ),
    "a message that signs itself": ('"GET/realtime{expires_ms}"', '"GET/realtime{expires_ms}{signature}"'),
}


@pytest.mark.parametrize(("old", "new"), REFUSE_CASES.values(), ids=REFUSE_CASES.keys())
def test_catalogue_that_cannot_compile_is_refused(tmp_path: Path, old: str, new: str) -> None:
    text = edited(old, new)
    if "{channel}" in new:  # make the signature known to build_subscribe_auth as well
        text = edited('flow = "direct"', 'flow = "challenge"', text)
        text = edited("[demo.reply]", 'subscribe_auth = { sig = "{signature}" }\n[demo.reply]', text)
    path = write(tmp_path, text)
    problems = refused(path)
    assert any(p.startswith(f"{path}:") and ": [demo" in p for p in problems), "\n".join(problems)


@pytest.mark.parametrize(
    ("old", "new"),
    [('body = "nonce={nonce}"', 'body = "nonce={nonce}&signature={signature}"'), ('X-Key = "{api_key}"', "X-Key = 5")],
    ids=["a REST body carrying its own signature", "an int header value"],
)
def test_rest_call_that_cannot_compile_is_refused(tmp_path: Path, old: str, new: str) -> None:
    path = write(tmp_path, edited(old, new, REST))
    problems = refused(path)
    assert any(p.startswith(f"{path}:") and ": [demo" in p for p in problems), "\n".join(problems)


def render_module(tmp_path: Path, path: Path, entry: str) -> ModuleType:
    files = render_tree(load(path), only={entry})
    target = tmp_path / f"{entry}.py"
    target.write_text(files[f"wsauth/{entry}.py"], encoding="utf-8")
    return import_file(target, f"_catalogue_test_{entry}")


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ('body = "nonce={nonce}"', 'body = "{nonce}"', 6),
        ('X-Key = "{api_key}"', 'X-Key = "{api_key}", X-Time = "{now_ms}"', 6),
        ('message = "{nonce}{body}"', 'message = "{nonce}"', 7),
    ],
    ids=["REST body", "REST header", "signed message"],
)
def test_a_lone_int_value_where_text_is_needed(tmp_path: Path, old: str, new: str, line: int) -> None:
    # "{nonce}" alone keeps its int type (right in a JSON frame); a body, a
    # header or the signed bytes are text: refuse it, or render its text.
    path = write(tmp_path, edited(old, new, REST))
    try:
        load(path)
    except CatalogueError as error:
        assert any(p.startswith(f"{path}:{line}: ") for p in error.problems), error.problems
        return
    module = render_module(tmp_path, path, "demo")
    credentials = module.Credentials(api_key="key", secret="secret")
    request = module.pre_auth(credentials, opts={"now_ms": 1767225600123, "nonce": 42}).request
    assert isinstance(request.body, str)
    assert all(isinstance(value, str) for value in request.headers.values())


# --- python -m generator ---------------------------------------------------------


def generator(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[Path, Path]:
    """A catalogue of two entries, rendered into an empty folder."""
    catalogue = write(tmp_path, GOOD + OTHER)
    out = tmp_path / "out"
    result = generator("--catalogue", catalogue, "--out", out)
    assert result.returncode == 0, result.stderr
    return catalogue, out


def test_cli_bad_catalogue_exits_2_with_the_problems_on_stderr(tmp_path: Path) -> None:
    catalogue = CATALOGUES / "several_problems.toml"
    out = tmp_path / "out"
    result = generator("--catalogue", catalogue, "--out", out)
    assert result.returncode == 2
    assert result.stderr.startswith("8 problem(s) in the catalogue:\n")
    for problem in refused(catalogue):
        assert f"  {problem}\n" in result.stderr
    assert not out.exists()


def test_cli_renders_a_good_catalogue_into_an_empty_folder(rendered: tuple[Path, Path]) -> None:
    _, out = rendered
    assert set(snapshot(out)) == {f"wsauth/{name}" for name in PACKAGE_FILES + RUNTIME_FILES} | {
        "wsauth/py.typed", "wsauth/demo.py", "wsauth/other.py", "tests/test_demo.py", "tests/test_other.py",
    }
    for name in ("wsauth/demo.py", "wsauth/other.py", "tests/test_demo.py"):
        source = (out / name).read_text(encoding="utf-8")
        assert source.startswith("# Generated by wsauth's generator")
        compile(source, name, "exec")
    assert "EXCHANGES: _Final[tuple[str, ...]] = (\"demo\", \"other\")" in (out / "wsauth/__init__.py").read_text()


def test_check_is_0_when_in_sync(rendered: tuple[Path, Path]) -> None:
    catalogue, out = rendered
    result = generator("--catalogue", catalogue, "--out", out, "--check")
    assert result.returncode == 0, result.stdout
    assert f"({len(PACKAGE_FILES) + len(RUNTIME_FILES) + 5} files)" in result.stdout


def test_check_is_1_when_a_copy_of_the_runtime_was_edited(rendered: tuple[Path, Path]) -> None:
    # The package's session.py is runtime/session.py under a header: an edit
    # to the copy is drift like any other, reported with the fixing command.
    catalogue, out = rendered
    copy = out / "wsauth" / "session.py"
    assert copy.read_text(encoding="utf-8").startswith("# Generated by wsauth's generator: copied from runtime/session.py.")
    copy.write_text(copy.read_text(encoding="utf-8").replace("REAUTH_AT = 0.8", "REAUTH_AT = 0.9"), encoding="utf-8")
    result = generator("--catalogue", catalogue, "--out", out, "--check")
    assert result.returncode == 1
    assert "-REAUTH_AT = 0.9" in result.stdout and "+REAUTH_AT = 0.8" in result.stdout
    assert "Fix: python -m generator" in result.stdout


def test_check_is_1_with_a_diff_and_the_fix_when_a_file_was_edited(rendered: tuple[Path, Path]) -> None:
    catalogue, out = rendered
    module = out / "wsauth" / "demo.py"
    module.write_text(module.read_text(encoding="utf-8").replace("def build_auth_message", "def build_auth_message_edited"), encoding="utf-8")
    edited_bytes = module.read_bytes()
    result = generator("--catalogue", catalogue, "--out", out, "--check")
    assert result.returncode == 1
    assert f"--- {module} (on disk)\n+++ {module} (rendered)\n" in result.stdout
    assert "\n-def build_auth_message_edited(\n" in result.stdout
    assert "\n+def build_auth_message(\n" in result.stdout
    assert f"1 file(s) differ from the catalogue. Fix: python -m generator --catalogue {catalogue} --out {out}" in result.stdout
    assert module.read_bytes() == edited_bytes  # --check never writes


def test_rendering_twice_gives_identical_bytes(rendered: tuple[Path, Path], tmp_path: Path) -> None:
    catalogue, out = rendered
    first = snapshot(out)
    again = tmp_path / "again"
    assert generator("--catalogue", catalogue, "--out", again, "--no-cache").returncode == 0  # a real second render
    assert snapshot(again) == first
    result = generator("--catalogue", catalogue, "--out", out)  # over itself
    assert "0 file(s) written, 0 removed" in result.stdout
    assert snapshot(out) == first


def test_check_reports_the_file_of_a_removed_entry_as_stale(rendered: tuple[Path, Path]) -> None:
    catalogue, out = rendered
    catalogue.write_text(GOOD, encoding="utf-8")  # "other" is gone
    result = generator("--catalogue", catalogue, "--out", out, "--check")
    assert result.returncode == 1
    assert f"{out / 'wsauth/other.py'}: on disk but not rendered from the catalogue" in result.stdout
    assert f"{out / 'tests/test_other.py'}: on disk but not rendered from the catalogue" in result.stdout
    assert (out / "wsauth" / "other.py").exists()  # reported, not removed
    assert generator("--catalogue", catalogue, "--out", out).returncode == 0
    assert not (out / "wsauth" / "other.py").exists()
    assert generator("--catalogue", catalogue, "--out", out, "--check").returncode == 0


# --- the flow templates -------------------------------------------------------

FLOW_TEMPLATES = sorted((TEMPLATES / "flows").glob("*.py.jinja"))
CALLBACKS = {
    "pre_auth": ("vm", "cb"),
    "build_auth_message": ("vm", "cb"),
    "build_subscribe_auth": ("vm", "cb"),
    "handle_auth_response": ("vm",),
}


@pytest.mark.parametrize("template", FLOW_TEMPLATES, ids=lambda p: p.name)
def test_flow_template_defines_exactly_the_four_callbacks(template: Path) -> None:
    module = environment().get_template(f"flows/{template.name}").make_module({"model": None, "define": None})
    macros = {name: value for name, value in vars(module).items() if isinstance(value, jinja2.runtime.Macro)}
    assert {name: tuple(m.arguments) for name, m in macros.items()} == CALLBACKS


def test_every_flow_has_a_template_and_every_template_is_a_flow() -> None:
    assert len(FLOW_TEMPLATES) >= 4
    assert sorted(p.name.removesuffix(".py.jinja") for p in FLOW_TEMPLATES) == sorted(FLOWS)
    assert all(FLOWS[name].template == f"flows/{name}.py.jinja" for name in FLOWS)


# --- rest.url_query: a REST call signed over its query string -----------------

QUERY = edited(
    'headers = { X-Key = "{api_key}", X-Sign = "{signature}" }, body = "nonce={nonce}"',
    'url_query = "nonce={nonce}&signature={signature}", headers = { X-Key = "{api_key}" }, body = ""',
    edited('message = "{nonce}{body}"', 'message = "nonce={nonce}"', REST),
)


def test_a_signature_sent_only_in_the_url_query_is_sent(tmp_path: Path) -> None:
    (entry,) = load(write(tmp_path, QUERY))
    rest = entry.variants[0].rest
    assert rest is not None and rest.url_query == "nonce={nonce}&signature={signature}"


def test_a_signature_sent_only_in_the_body_is_sent(tmp_path: Path) -> None:
    text = edited(', X-Sign = "{signature}" }, body = "nonce={nonce}"', ' }, body = "nonce={nonce}&signature={signature}"', REST)
    text = edited('message = "{nonce}{body}"', 'message = "nonce={nonce}"', text)
    (entry,) = load(write(tmp_path, text))
    assert entry.variants[0].rest is not None


@pytest.mark.parametrize(
    ("old", "new", "text"),
    [
        ('url_query = "nonce={nonce}&signature={signature}"', 'url_query = "nonce={nonce}&signature={signature}&key={token}"',
         "url_query: cannot use {token}: it is what the call returns"),
        ('url = "https://example.com/token"', 'url = "https://example.com/token?a=1"', "url_query: the url already has a query string"),
        ('url_query = "nonce={nonce}&signature={signature}"', "url_query = 7", "url_query: expected str, got int"),
        ('url_query = "nonce={nonce}&signature={signature}"', 'url_query = "{nonse}"', "url_query: '{nonse}': unknown value {nonse}"),
    ],
    ids=["the token it returns", "a url that has a query already", "not text", "an unknown value"],
)
def test_a_bad_url_query_is_refused_with_its_line(tmp_path: Path, old: str, new: str, text: str) -> None:
    path = write(tmp_path, edited(old, new, QUERY))
    assert_reported(refused(path), path, 6, "demo.rest", text)


def test_a_rest_call_signed_over_its_query_string_renders(tmp_path: Path) -> None:
    path = write(tmp_path, QUERY)
    module = render_module(tmp_path, path, "demo")
    pre = module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": 1767225600123})
    # Expected from plain hmac here (this is a generator test, not a known-answer one).
    import hashlib
    import hmac

    signed = hmac.new(b"s", b"nonce=1767225600123", hashlib.sha256).hexdigest()
    assert pre.request.url == f"https://example.com/token?nonce=1767225600123&signature={signed}"
    assert pre.request.body == ""


# --- pre_auth with an auth frame: the REST call's token sent after connecting ---

TOKEN_FRAME = edited("[demo.reply]", 'auth_frame = { op = "login", token = "{token}" }\n[demo.reply]', REST)


def test_a_pre_auth_token_can_go_in_an_auth_frame(tmp_path: Path) -> None:
    path = write(tmp_path, TOKEN_FRAME)
    module = render_module(tmp_path, path, "demo")
    credentials = module.Credentials(api_key="k", secret="s")
    assert module.build_auth_message(credentials, opts={"token": "t-1"}) == {"op": "login", "token": "t-1"}
    with pytest.raises(module.WsAuthInputError) as missing:  # the frame needs what the REST call returned
        module.build_auth_message(credentials)
    assert "token" in str(missing.value)


def test_a_pre_auth_auth_frame_is_checked_like_any_frame(tmp_path: Path) -> None:
    path = write(tmp_path, edited('token = "{token}" }', 'token = "{tokn}" }', TOKEN_FRAME))
    assert_reported(refused(path), path, 8, "demo", "auth_frame: '{tokn}': unknown value {tokn}")


# --- a keep-alive that names the token (Binance.US's listenKey=) ---------------

KEEPALIVE = edited(
    "[demo.reply]",
    'keepalive_ms = 1000\nkeepalive = { method = "PUT", headers = { X-Key = "{api_key}" }, body = "listenKey={token}" }\n[demo.reply]',
    edited('ws_url = "wss://example.com/ws"\n', 'ws_url = "wss://example.com/ws"\nws_url_with_token = "{ws_url}/{token}"\n', REST),
)


def test_a_keepalive_may_name_the_token_where_the_socket_embeds_it(tmp_path: Path) -> None:
    module = render_module(tmp_path, write(tmp_path, KEEPALIVE), "demo")
    credentials = module.Credentials(api_key="k", secret="s")
    first = module.pre_auth(credentials, opts={"now_ms": 1767225600123})
    assert first.ws_url is None and first.keepalive is None  # before the REST call: no token yet
    then = module.pre_auth(credentials, opts={"now_ms": 1767225600123, "token": "t-1"})
    assert then.ws_url == "wss://example.com/ws/t-1"
    assert (then.keepalive.method, then.keepalive.body, then.keepalive.headers) == ("PUT", "listenKey=t-1", {"X-Key": "k"})
    assert then.keepalive_ms == 1000


def test_a_keepalive_cannot_name_a_token_the_pre_auth_never_sees(tmp_path: Path) -> None:
    # Without the token in the socket URL (or headers), the PreAuth is built
    # once, before the REST call: a keep-alive naming it could never be sent.
    path = write(tmp_path, edited('ws_url_with_token = "{ws_url}/{token}"\n', "", KEEPALIVE))
    assert_reported(refused(path), path, 9, "demo", "keepalive: cannot use {token}: it is built with the first call")


# --- the REST reply names the socket and its ping (KuCoin's bullet token) ------

BULLET = """\
[demo]
flow = "pre_auth"
reference = "ccxt"
ws_url = "wss://example.com/ws"
ws_url_with_token = "{ws_url}?token={token}"
rest = { method = "POST", url = "https://example.com/bullet", headers = { K = "{api_key}", P = "{signed_password}", S = "{signature}" }, body = "", token = "data.token", ws_url = "data.servers.0.endpoint", ping_interval = "data.servers.0.pingInterval" }
signature = { message = "{now_ms!s}POST{rest_path}", hash = "sha256", key = "raw", encoding = "base64" }
ping_frame = { id = "{request_id!s}", type = "ping" }
[demo.reply]
success = [{ type = "welcome" }]
failure = [{ type = "error" }]
reason = ["data"]
"""


def test_a_reply_that_names_the_socket_and_its_ping_renders(tmp_path: Path) -> None:
    module = render_module(tmp_path, write(tmp_path, BULLET), "demo")
    credentials = module.Credentials(api_key="k", secret="s", password="p")
    pre = module.pre_auth(credentials, opts={"now_ms": 1767225600123, "request_id": 5})
    reply = '{"data": {"token": "t", "servers": [{"endpoint": "wss://push.example.com/e", "pingInterval": 18000}]}}'
    assert pre.read_token(200, reply) == "t"
    # The runtime reads the socket and its ping where the module's paths say.
    assert socket_url_in(pre, reply, "demo") == "wss://push.example.com/e"
    assert ping_interval_in(pre, reply) == 18000
    assert pre.ping == {"id": "5", "type": "ping"}
    with pytest.raises(NoSocketInReply):  # a socket that is not a WebSocket URL is refused
        socket_url_in(pre, '{"data": {"token": "t", "servers": [{"endpoint": "https://elsewhere.example"}]}}', "demo")
    assert ping_interval_in(pre, '{"data": {"servers": []}}') is None
    import base64
    import hashlib
    import hmac

    signed_password = base64.b64encode(hmac.new(b"s", b"p", hashlib.sha256).digest()).decode()
    assert pre.request.headers["P"] == signed_password


@pytest.mark.parametrize(
    ("old", "new", "line", "table", "text"),
    [
        ('ping_frame = { id = "{request_id!s}", type = "ping" }\n', "", 6, "demo", "rest: ping_interval is read but there is no ping_frame"),
        (', ping_interval = "data.servers.0.pingInterval" }', " }", 8, "demo", "ping_frame: needs rest.ping_interval"),
        ('ws_url = "data.servers.0.endpoint"', 'ws_url = "data..endpoint"', 6, "demo.rest", "ws_url: 'data..endpoint' is not a dotted path"),
        ('signature = { message = "{now_ms!s}POST{rest_path}", hash = "sha256", key = "raw", encoding = "base64" }\n', "", 1, "demo",
         "{signed_password} is signed with the signature table's recipe: there is none"),
        ('type = "ping" }', 'type = "{channel}" }', 8, "demo", "ping_frame: {channel} is only known inside build_subscribe_auth"),
        ('type = "ping" }', 'type = "{token}" }', 8, "demo", "ping_frame: cannot use {token}: it is built with the first call"),
    ],
    ids=["an interval with no frame", "a frame with no interval", "a bad reply path", "a signed password with no recipe",
         "a value it cannot know", "the token it is built before"],
)
def test_a_bad_bullet_table_is_refused_with_its_line(tmp_path: Path, old: str, new: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new, BULLET))
    assert_reported(refused(path), path, line, table, text)


def test_a_ping_frame_is_paced_by_the_rest_reply_or_the_greeting(tmp_path: Path) -> None:
    path = write(tmp_path, edited("[demo.reply]", 'ping_frame = { type = "ping" }\n[demo.reply]'))
    assert_reported(refused(path), path, 8, "demo", "ping_frame: needs rest.ping_interval or greeting_ping_interval")
    path = write(tmp_path, edited("[other.reply]", 'ping_frame = { type = "ping" }\n[other.reply]', OTHER.lstrip()))
    assert_reported(refused(path), path, 7, "other", "flow 'inline' does not use 'ping_frame'")


# KuCoin's UTA shape: the greeting states the interval of a ping frame.
GREETING_PING = 'auth_after_greeting = true\ngreeting_ping_interval = "pingInterval"\nping_frame = { id = "{request_id!s}", type = "ping" }\n[demo.reply]'


def test_a_greetings_ping_interval_needs_the_greeting_and_a_frame(tmp_path: Path) -> None:
    path = write(tmp_path, edited("[demo.reply]", 'greeting_ping_interval = "pingInterval"\nping_frame = { type = "ping" }\n[demo.reply]'))
    assert_reported(refused(path), path, 8, "demo", "greeting_ping_interval: needs auth_after_greeting = true")
    path = write(tmp_path, edited("[demo.reply]", 'auth_after_greeting = true\ngreeting_ping_interval = "pingInterval"\n[demo.reply]'))
    assert_reported(refused(path), path, 9, "demo", "greeting_ping_interval: is read but there is no ping_frame to send")
    path = write(tmp_path, edited("[demo.reply]", 'greeting_ping_interval = "pingInterval"\n[demo.reply]', REST))
    assert_reported(refused(path), path, 8, "demo", "flow 'pre_auth' does not use 'greeting_ping_interval'")


@pytest.mark.parametrize(
    "frame",
    ['{ id = "{request_id!s}", ts = "{now_ms!s}" }', '{ id = "{request_id!s}", again = "{request_id!s}" }',
     '{ id = "{request_id}" }', '{ type = "{{ping}}" }', '{ args = ["ping"] }'],
)
def test_a_greetings_ping_frame_holds_plain_values_and_at_most_one_fresh_id(tmp_path: Path, frame: str) -> None:
    path = write(tmp_path, edited('ping_frame = { id = "{request_id!s}", type = "ping" }', f"ping_frame = {frame}",
                                  edited("[demo.reply]", GREETING_PING)))
    assert_reported(refused(path), path, 10, "demo", "a greeting's ping frame holds plain values and at most one")


def test_a_greetings_ping_reaches_the_config(tmp_path: Path) -> None:
    module = render_module(tmp_path, write(tmp_path, edited("[demo.reply]", GREETING_PING)), "demo")
    assert module.CONFIG.ping == {"type": "ping"} and module.CONFIG.ping_id == "id"
    assert module.CONFIG.greeting_ping_interval_path == ("pingInterval",)
    (tmp_path / "plain").mkdir()
    plain = render_module(tmp_path / "plain", write(tmp_path, GOOD), "demo")
    assert (plain.CONFIG.ping, plain.CONFIG.ping_id, plain.CONFIG.greeting_ping_interval_path) == (None, None, None)


def test_the_body_in_base64_needs_a_rest_call(tmp_path: Path) -> None:
    path = write(tmp_path, edited('op = "auth"', 'op = "auth", payload = "{body_base64}"'))
    assert_reported(refused(path), path, 1, "demo", "{body_base64} needs a rest table")


def test_the_body_in_base64_is_signed_and_sent(tmp_path: Path) -> None:
    text = edited('X-Sign = "{signature}" }', 'X-Sign = "{signature}", X-Payload = "{body_base64}" }', REST)
    text = edited('message = "{nonce}{body}"', 'message = "{body_base64}"', text)
    module = render_module(tmp_path, write(tmp_path, text), "demo")
    pre = module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": 1, "nonce": 42})
    import base64

    assert pre.request.headers["X-Payload"] == base64.b64encode(b"nonce=42").decode()


def test_a_uuid4_nonce_is_fresh_per_call_unless_given(tmp_path: Path) -> None:
    text = edited('nonce = "now_ms"', 'nonce = "uuid4"', REST)
    module = render_module(tmp_path, write(tmp_path, text), "demo")
    credentials = module.Credentials(api_key="k", secret="s")
    first, second = (module.pre_auth(credentials).request.body for _ in range(2))
    assert first != second and len(first) == len("nonce=") + 36
    assert module.pre_auth(credentials, opts={"nonce": "given"}).request.body == "nonce=given"


def test_an_upper_case_hex_digest_first_is_what_is_signed(tmp_path: Path) -> None:
    text = edited('message = "{nonce}{body}", hash', 'message = "{nonce}{body}", digest_first = "md5", digest_first_encoding = "hex_upper", hash', REST)
    module = render_module(tmp_path, write(tmp_path, text), "demo")
    pre = module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": 1, "nonce": 42})
    import hashlib
    import hmac

    digest = hashlib.md5(b"42nonce=42").hexdigest().upper()
    assert pre.request.headers["X-Sign"] == hmac.new(b"s", digest.encode(), hashlib.sha256).hexdigest()


def test_a_digest_encoding_needs_a_digest(tmp_path: Path) -> None:
    path = write(tmp_path, edited('message = "{nonce}{body}", hash', 'message = "{nonce}{body}", digest_first_encoding = "hex_upper", hash', REST))
    assert_reported(refused(path), path, 7, "demo.signature", "digest_first_encoding: set but there is no digest_first")


def test_a_random_hex_nonce_is_fresh_per_call(tmp_path: Path) -> None:
    module = render_module(tmp_path, write(tmp_path, edited('nonce = "now_ms"', 'nonce = "random_hex"', REST)), "demo")
    credentials = module.Credentials(api_key="k", secret="s")
    first, second = (module.pre_auth(credentials).request.body for _ in range(2))
    assert first != second and len(first) == len("nonce=") + 32


# --- private keys and JWTs ----------------------------------------------------------

# A valid entry signing with a private key, and one sending a JWT. Lines:
#  6 signature   7 auth_frame (JWT: 7 nonce, 8 signature, 9 jwt, 10 auth_frame)
KEYED = """\
[demo]
flow = "direct"
reference = "ccxt"
ws_url = "wss://example.com/ws"
expires_after_ms = 5000
signature = { message = "{expires_ms}", hash = "ed25519", private_key = ["pem", "seed_hex"], encoding = "base64" }
auth_frame = { op = "auth", args = ["{api_key}", "{expires_ms!s}", "{signature}"] }
[demo.reply]
success = [{ op = "auth", success = true }]
failure = [{ op = "auth", success = false }]
reason = ["ret_msg"]
"""

JWT = """\
[demo]
flow = "direct"
reference = "ccxt"
ws_url = "wss://example.com/ws"
expires_after_ms = 120000
nonce = "random_hex"
signature = { message = "{jwt_input}", hash = "es256", private_key = ["pem"], encoding = "base64url" }
jwt = { header = { alg = "ES256", typ = "JWT", kid = "{api_key}", nonce = "{nonce}" }, claims = { sub = "{api_key}", exp = "{expires_s}" } }
auth_frame = { token = "{jwt}" }
[demo.reply]
success = [{ op = "auth", success = true }]
failure = [{ op = "auth", success = false }]
reason = ["ret_msg"]
"""


def test_the_key_catalogues_are_valid(tmp_path: Path) -> None:
    (keyed,) = load(write(tmp_path, KEYED))
    signature = keyed.variants[0].signature
    assert signature is not None and signature.asymmetric and signature.private_key == ("pem", "seed_hex")
    (jwt,) = load(write(tmp_path, JWT))
    assert jwt.variants[0].jwt is not None and jwt.variants[0].jwt.header["alg"] == "ES256"
    assert load(CATALOGUES / "keys.toml")


@pytest.mark.parametrize(
    ("text", "old", "new", "line", "table", "message"),
    [
        (KEYED, 'private_key = ["pem", "seed_hex"]', 'key = "raw"', 6, "demo.signature", "use private_key, not key"),
        (KEYED, 'private_key = ["pem", "seed_hex"], ', "", 6, "demo.signature", "needs private_key"),
        (KEYED, '["pem", "seed_hex"]', '["pem", "der"]', 6, "demo.signature", "'der' is not one of pem"),
        (KEYED, '["pem", "seed_hex"]', "[]", 6, "demo.signature", "lists no form of key"),
        (KEYED, '["pem", "seed_hex"]', '["pem", "pem"]', 6, "demo.signature", "lists a form twice"),
        (KEYED, '["pem", "seed_hex"]', '"pem"', 6, "demo.signature", "expected list"),
        (KEYED, 'hash = "ed25519", private_key = ["pem", "seed_hex"]', 'hash = "rsa_sha256", private_key = ["pem", "seed_hex"]',
         6, "demo.signature", "'seed_hex' is an Ed25519 seed"),
        (KEYED, 'encoding = "base64" }', 'encoding = "hex_upper" }', 6, "demo.signature", "encoded as hex, base64 or base64url"),
        (KEYED, 'hash = "ed25519"', 'hash = "ed448"', 6, "demo.signature", "'ed448' is not one of sha256"),
        (GOOD, 'key = "raw"', 'key = "raw", private_key = ["pem"]', 6, "demo.signature", "use key, not private_key"),
        (GOOD, 'key = "raw", ', "", 6, "demo.signature", "missing key 'key'"),
        (JWT, 'alg = "ES256"', 'alg = "HS256"', 8, "demo.jwt", "alg must be 'ES256'"),
        (JWT, 'typ = "JWT"', 'typ = "JWS"', 8, "demo.jwt", "typ must be 'JWT'"),
        (JWT, 'message = "{jwt_input}"', 'message = "{jwt_input}."', 7, "demo.signature", 'signs exactly "{jwt_input}"'),
        (JWT, 'encoding = "base64url"', 'encoding = "base64"', 7, "demo.signature", "a JWT signature is base64url"),
        (JWT, 'kid = "{api_key}"', 'kid = "{signature}"', 8, "demo.jwt", "cannot contain itself or its signature"),
        (JWT, 'claims = { sub', 'payload = { sub', 8, "demo.jwt", "payload: unknown key"),
        (JWT, 'sub = "{api_key}"', 'sub = "{apikey}"', 8, "demo.jwt", "unknown value {apikey}"),
        (JWT, 'auth_frame = { token = "{jwt}" }', 'auth_frame = { token = "{api_key}" }', 8, "demo", "the JWT is built but never sent"),
        (JWT, 'nonce = "random_hex"', 'nonce = "random"', 6, "demo", "'random' is not one of now_ms"),
    ],
    ids=[
        "key for an asymmetric hash", "asymmetric without private_key", "unknown key form", "no key form",
        "a form twice", "forms not a list", "a seed for RSA", "an encoding a key signature has not",
        "unknown algorithm", "private_key for an HMAC", "HMAC without key", "JWT alg against the hash",
        "JWT typ", "JWT signs more than its input", "JWT signature not base64url", "JWT holding its signature",
        "unknown JWT key", "unknown value in the claims", "JWT never sent", "unknown nonce source",
    ],
)
def test_key_and_jwt_problems(tmp_path: Path, text: str, old: str, new: str, line: int, table: str, message: str) -> None:
    path = write(tmp_path, edited(old, new, text))
    assert_reported(refused(path), path, line, table, message)


def test_jwt_input_without_a_jwt_table(tmp_path: Path) -> None:
    text = edited('jwt = { header = { alg = "ES256", typ = "JWT", kid = "{api_key}", nonce = "{nonce}" }, claims = { sub = "{api_key}", exp = "{expires_s}" } }\n', "", JWT)
    text = edited('auth_frame = { token = "{jwt}" }', 'auth_frame = { token = "{signature}" }', text)
    path = write(tmp_path, text)
    problems = refused(path)
    assert_reported(problems, path, 1, "demo", "{jwt_input}/{jwt} need a jwt table")


def test_jwt_without_a_signature_table(tmp_path: Path) -> None:
    text = edited('signature = { message = "{jwt_input}", hash = "es256", private_key = ["pem"], encoding = "base64url" }\n', "", JWT)
    path = write(tmp_path, text)
    assert_reported(refused(path), path, 7, "demo", "a JWT needs a signature table")


# --- unsupported: marked with the reason, rendered as nothing but the reason --

UNSUPPORTED = """
[walletx]
unsupported = "signs with an Ethereum wallet key"
"""


def test_an_unsupported_table_renders_no_module_only_its_reason(tmp_path: Path) -> None:
    entries, unsupported = load_all(write(tmp_path, GOOD + UNSUPPORTED))
    assert [e.id for e in entries] == ["demo"]
    assert [(u.id, u.reason) for u in unsupported] == [("walletx", "signs with an Ethereum wallet key")]
    files = render_tree(entries, unsupported=unsupported)
    assert "wsauth/walletx.py" not in files and "tests/test_walletx.py" not in files
    (tmp_path / "wsauth_init.py").write_text(files["wsauth/__init__.py"], encoding="utf-8")
    package = import_file(tmp_path / "wsauth_init.py", "wsauth_init")
    assert package.UNSUPPORTED == {"walletx": "signs with an Ethereum wallet key"}
    assert package.EXCHANGES == ("demo",)


@pytest.mark.parametrize(
    ("new", "line", "text"),
    [
        ('unsupported = "no"\nflow = "direct"', 3, "flow: unknown key (allowed: reference_url, unsupported)"),
        ('unsupported = ""', 2, "unsupported: the reason must be one non-empty line"),
        ('unsupported = "a\\nb"', 2, "unsupported: the reason must be one non-empty line"),
        ("unsupported = true", 2, "unsupported: expected str, got bool"),
        ('unsupported = "no"\nreference_url = "ftp://x"', 3, "reference_url: must start with https://"),
    ],
    ids=["a recipe beside it", "empty reason", "two lines", "not text", "bad reference url"],
)
def test_unsupported_table_is_validated(tmp_path: Path, new: str, line: int, text: str) -> None:
    path = write(tmp_path, GOOD + f"[walletx]\n{new}\n".replace("[walletx]", "\n[walletx]"))
    problems = refused(path)
    assert_reported(problems, path, GOOD.count("\n") + 1 + line, "walletx", text)

# --- how the socket is opened: handshake headers, signed URL, payload, batches ---

# A valid handshake entry: signed headers, a signed query string in the URL.
HANDSHAKE = """\
[demo]
flow = "handshake"
reference = "ccxt"
ws_url = "wss://example.com/stream"
expires_after_ms = 10000
signature = { message = "CONNECT{ws_path}{expires_s}", hash = "sha256", key = "raw", encoding = "hex" }
ws_headers = { X-Key = "{api_key}", X-Sign = "{signature}" }
socket_url = "{ws_url}?{socket_query}"
socket_query = { api-key = "{api_key}", api-expires = "{expires_s!s}" }
[demo.reply]
success = []
failure = []
reason = []
"""

HANDSHAKE_CASES = {
    "a header name that is not one": ("X-Key =", '"X Key" =', HANDSHAKE, 7, "demo", "ws_headers: 'X Key' is not a header name"),
    "an unknown value in a header": ('"{api_key}", X-Sign', '"{apikey}", X-Sign', HANDSHAKE, 7, "demo", "unknown value {apikey}"),
    "a socket URL that does not start from ws_url": (
        '"{ws_url}?{socket_query}"', '"wss://elsewhere/?{socket_query}"', HANDSHAKE, 8, "demo", "must start with {ws_url}"
    ),
    "a socket query that is never used": ('"{ws_url}?{socket_query}"', '"{ws_url}/x"', HANDSHAKE, 9, "demo", "socket_query: set but never used"),
    "a socket query value that is not text": ('api-expires = "{expires_s!s}"', "api-expires = 5", HANDSHAKE, 9, "demo", "socket_query: expected str"),
    "{socket_query} without its table": (
        'socket_query = { api-key = "{api_key}", api-expires = "{expires_s!s}" }\n', "", HANDSHAKE, 1, "demo", "{socket_query} needs a socket_query table"
    ),
    "a handshake flow that signs nothing on the handshake": (
        'ws_headers = { X-Key = "{api_key}", X-Sign = "{signature}" }\nsocket_url = "{ws_url}?{socket_query}"\n'
        'socket_query = { api-key = "{api_key}", api-expires = "{expires_s!s}" }\n',
        'auth_frame = { sign = "{signature}" }\n', HANDSHAKE, 1, "demo", "flow 'handshake' needs ws_headers or socket_url"
    ),
    "a handshake flow with an auth frame": (
        "[demo.reply]", 'auth_frame = { op = "auth" }\n[demo.reply]', HANDSHAKE, 10, "demo", "flow 'handshake' does not use 'auth_frame'"
    ),
    "a signed socket URL on a REST-first flow": (
        "[demo.reply]", 'socket_url = "{ws_url}/{api_key}"\n[demo.reply]', REST, 8, "demo", "flow 'pre_auth' does not use 'socket_url'"
    ),
    "a token in a handshake header": (
        'X-Key = "{api_key}"', 'X-Key = "{token}"', HANDSHAKE, 7, "demo", "ws_headers: cannot use {token}"
    ),
    "a payload with unknown separators": (
        "[demo.reply]", 'payload = { json = { k = "{api_key}" }, separators = "tight", encoding = "text" }\n[demo.reply]',
        edited('op = "auth"', 'op = "auth", p = "{payload}"'), 8, "demo.payload", "separators: 'tight' is not one of compact, spaced"
    ),
    "a payload with an unknown key": (
        "[demo.reply]", 'payload = { json = { k = "v" }, separators = "compact", encoding = "text", indent = 2 }\n[demo.reply]',
        edited('op = "auth"', 'op = "auth", p = "{payload}"'), 8, "demo.payload", "indent: unknown key"
    ),
    "a payload that is never used": (
        "[demo.reply]", 'payload = { json = { k = "v" }, separators = "compact", encoding = "base64" }\n[demo.reply]', GOOD, 8, "demo", "payload: set but never used"
    ),
    "{payload} without its table": ('op = "auth"', 'op = "auth", p = "{payload}"', GOOD, 1, "demo", "{payload} needs a payload table"),
    "batched that is not a bool": ('reason = ["ret_msg"]', 'reason = ["ret_msg"]\nbatched = "yes"', GOOD, 12, "demo.reply", "batched: expected bool"),
}


@pytest.mark.parametrize(("old", "new", "base", "line", "table", "text"), HANDSHAKE_CASES.values(), ids=HANDSHAKE_CASES.keys())
def test_handshake_payload_and_batch_problems(tmp_path: Path, old: str, new: str, base: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new, base))
    assert_reported(refused(path), path, line, table, text)


def test_a_handshake_entry_signs_its_headers_and_url(tmp_path: Path) -> None:
    # Expected values computed here with hmac, from the catalogue's recipe.
    import hashlib
    import hmac

    module = render_module(tmp_path, write(tmp_path, HANDSHAKE), "demo")
    now_ms = 1767225600123
    pre = module.pre_auth(module.Credentials(api_key="k/1", secret="s"), opts={"now_ms": now_ms})
    expires = (now_ms + 10000) // 1000
    sign = hmac.new(b"s", f"CONNECT/stream{expires}".encode(), hashlib.sha256).hexdigest()
    assert pre.request is None and pre.token_path == ()
    assert pre.ws_headers == {"X-Key": "k/1", "X-Sign": sign}
    assert pre.ws_url == f"wss://example.com/stream?api-key=k%2F1&api-expires={expires}"  # encoded, in catalogue order
    assert sign not in repr(pre) and module.build_auth_message(module.Credentials(api_key="k", secret="s")) is None


def test_a_payload_is_json_text_signed_with_the_base64_of_the_secret(tmp_path: Path) -> None:
    import base64
    import hashlib
    import hmac
    import json

    text = edited('key = "raw", encoding = "hex" }', 'key = "raw_base64", encoding = "hex" }')
    text = edited('auth_frame = { op = "auth", args = ["{api_key}", "{expires_ms!s}", "{signature}"] }',
                  'auth_frame = { op = "auth", args = ["{payload}"] }\n'
                  'payload = { json = { key = "{api_key}", expires = "{expires_ms}", sign = "{signature}" }, separators = "compact", encoding = "base64" }', text)
    module = render_module(tmp_path, write(tmp_path, text), "demo")
    frame = module.build_auth_message(module.Credentials(api_key="k", secret="s"), opts={"now_ms": 1000})
    sign = hmac.new(base64.b64encode(b"s"), b"GET/realtime6000", hashlib.sha256).hexdigest()
    assert json.loads(base64.b64decode(frame["args"][0])) == {"key": "k", "expires": 6000, "sign": sign}
    assert base64.b64decode(frame["args"][0]) == b'{"key":"k","expires":6000,"sign":"' + sign.encode() + b'"}'


def test_handshake_headers_after_a_rest_call_carry_its_token(tmp_path: Path) -> None:
    text = edited("[demo.reply]", 'ws_headers = { Cookie = "JWT={token}" }\n[demo.reply]', REST)
    module = render_module(tmp_path, write(tmp_path, text), "demo")
    credentials = module.Credentials(api_key="k", secret="s")
    assert module.pre_auth(credentials, opts={"now_ms": 1}).ws_headers is None  # not known before the call
    assert module.pre_auth(credentials, opts={"now_ms": 1, "token": "t0k"}).ws_headers == {"Cookie": "JWT=t0k"}


def test_a_jwt_signs_the_handshake_header(tmp_path: Path) -> None:
    """A JWT may travel in a handshake header ("Bearer {jwt}", as Upbit and
    Bithumb take it); the reference is ccxt's own jwt()."""
    from ccxt.base.exchange import Exchange  # type: ignore[import-untyped]

    text = edited(
        'expires_after_ms = 10000\nsignature = { message = "CONNECT{ws_path}{expires_s}", hash = "sha256", key = "raw", encoding = "hex" }\n'
        'ws_headers = { X-Key = "{api_key}", X-Sign = "{signature}" }\nsocket_url = "{ws_url}?{socket_query}"\n'
        'socket_query = { api-key = "{api_key}", api-expires = "{expires_s!s}" }\n',
        'nonce = "uuid4"\nsignature = { message = "{jwt_input}", hash = "sha256", key = "raw", encoding = "base64url" }\n'
        'jwt = { header = { alg = "HS256", typ = "JWT" }, claims = { access_key = "{api_key}", nonce = "{nonce}", timestamp = "{now_ms}" } }\n'
        'ws_headers = { authorization = "Bearer {jwt}" }\n',
        HANDSHAKE,
    )
    module = render_module(tmp_path, write(tmp_path, text), "demo")
    pre = module.pre_auth(module.Credentials(api_key="k", secret="s"), opts={"now_ms": 1000, "nonce": "n-1"})
    claims = {"access_key": "k", "nonce": "n-1", "timestamp": 1000}
    assert pre.request is None and pre.ws_url == "wss://example.com/stream"
    assert pre.ws_headers == {"authorization": "Bearer " + Exchange.jwt(claims, b"s", "sha256")}
    # {jwt} needs its table there too
    without = edited('jwt = { header = { alg = "HS256", typ = "JWT" }, claims = { access_key = "{api_key}", nonce = "{nonce}", timestamp = "{now_ms}" } }\n', "", text)
    path = write(tmp_path, without)
    assert_reported(refused(path), path, 1, "demo", "{jwt_input}/{jwt} need a jwt table")


def test_waiting_for_the_greeting_belongs_to_the_direct_flow(tmp_path: Path) -> None:
    path = write(tmp_path, edited("[demo.reply]", "auth_after_greeting = true\n[demo.reply]", REST))
    assert_reported(refused(path), path, 8, "demo", "auth_after_greeting: flow 'pre_auth' does not use 'auth_after_greeting'")
    path = write(tmp_path, edited("[other.reply]", "auth_after_greeting = true\n[other.reply]", OTHER.lstrip()))
    assert_reported(refused(path), path, 7, "other", "flow 'inline' does not use 'auth_after_greeting'")


@pytest.mark.parametrize(
    ("value", "text"), [("false", "false is the default: leave the key out"), ('"yes"', "expected bool, got str")]
)
def test_waiting_for_the_greeting_is_true_or_absent(tmp_path: Path, value: str, text: str) -> None:
    path = write(tmp_path, edited("[demo.reply]", f"auth_after_greeting = {value}\n[demo.reply]"))
    assert_reported(refused(path), path, 8, "demo", text)


def test_a_direct_flow_that_waits_for_the_greeting_says_so_in_its_config(tmp_path: Path) -> None:
    (entry,) = load(write(tmp_path, edited("[demo.reply]", "auth_after_greeting = true\n[demo.reply]")))
    (variant,) = entry.variants
    assert variant.auth_after_greeting
    (plain,) = load(write(tmp_path, GOOD))
    assert not plain.variants[0].auth_after_greeting


# A valid wallet entry (EIP-712); the tests below break one thing each. Lines:
#  5 signature   6 auth_frame   7 [wallet.typed_data]   9 domain   10 types   11 message
WALLET = """\
[wallet]
flow = "direct"
reference = "ccxt"
ws_url = "wss://example.com/ws"
signature = { hash = "eip712", private_key = ["hex"], encoding = "rsv_v_lower" }
auth_frame = { tx = { sender = "{wallet_subaccount}", at = "{now_ms!s}" }, signature = "{signature}" }
[wallet.typed_data]
primary_type = "Login"
domain = { name = "Example", version = "1", chainId = 1, verifyingContract = "0x05ec92D78ED421f3D3Ada77FFdE167106565974E" }
types = { Login = [{ name = "sender", type = "bytes32" }, { name = "at", type = "uint64" }] }
message = { sender = "{wallet_subaccount}", at = "{now_ms}" }
[wallet.reply]
success = [{ ok = true }]
failure = [{ ok = false }]
reason = ["error"]
"""


def test_a_wallet_entry_is_valid(tmp_path: Path) -> None:
    (entry,) = load(write(tmp_path, WALLET))
    variant = entry.variants[0]
    assert variant.signature is not None and variant.signature.wallet and variant.typed_data is not None
    assert variant.typed_data.primary_type == "Login"


@pytest.mark.parametrize(
    "old, new, line, table, text",
    [
        # eip712 signs the typed data, not a message
        ('{ hash = "eip712",', '{ message = "{now_ms}", hash = "eip712",', 5, "wallet.signature", "signs the typed_data table"),
        # a wallet key is hex, and its signature 0x r s v
        ('private_key = ["hex"]', 'private_key = ["pem"]', 5, "wallet.signature", "secp256k1"),
        ('encoding = "rsv_v_lower"', 'encoding = "hex"', 5, "wallet.signature", "rsv_v_upper, rsv_v_lower"),
        # the message holds exactly the primary type's fields
        ('message = { sender = "{wallet_subaccount}", at = "{now_ms}" }', 'message = { sender = "{wallet_subaccount}" }', 11, "wallet.typed_data", "exactly the fields of Login"),
        ('primary_type = "Login"', 'primary_type = "Logon"', 8, "wallet.typed_data", "'Logon' is not one of the types"),
        ('type = "uint64"', 'type = "uint65"', 10, "wallet.typed_data", "not an EIP-712 type"),
        ('chainId = 1,', 'chainId = 1, chain = 2,', 9, "wallet.typed_data", "not an EIP-712 domain field"),
    ],
)
def test_wallet_signature_mistakes(tmp_path: Path, old: str, new: str, line: int, table: str, text: str) -> None:
    path = write(tmp_path, edited(old, new, WALLET))
    assert_reported(refused(path), path, line, table, text)


def test_eip712_needs_its_typed_data_and_only_eip712_has_one(tmp_path: Path) -> None:
    start, end = WALLET.index("[wallet.typed_data]"), WALLET.index("[wallet.reply]")
    path = write(tmp_path, WALLET[:start] + WALLET[end:])
    assert_reported(refused(path), path, 1, "wallet", "needs a typed_data table")
    path = write(tmp_path, edited('hash = "eip712", private_key', 'message = "{now_ms}", hash = "eip191", private_key', WALLET))
    assert_reported(refused(path), path, 7, "wallet.typed_data", "only an eip712 or snip12 signature signs typed data")


def test_a_wallet_address_needs_a_wallet_key(tmp_path: Path) -> None:
    path = write(tmp_path, edited('"{api_key}", "{expires_ms!s}"', '"{address}", "{expires_ms!s}"'))
    assert_reported(refused(path), path, 1, "demo", "need a wallet signature")
    path = write(tmp_path, edited('key = "raw", encoding = "hex" }', 'key = "raw", encoding = "hex", delegates = true }'))
    assert_reported(refused(path), path, 6, "demo.signature", "only a wallet signature")

"""Deliberate mistakes in the session, each the fault it once had put back:
``python -m tests.runtime.mutations_session [NAME ...]`` applies each to
generated/wsauth/session.py (the copy the tests import), runs the fault tests
that must catch it, prints whether they did, and restores the file. Every
mistake must be killed (exit status 1 when one survives).

Issue 14's mutation habit, for the session's faults; the lead's mutation
script can take this list as it is.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
G = ROOT / "generated/wsauth/session.py"
LOCK_OLD = '''        async with self._signing():
            await _pre_auth_io(attempt, self._http)
            pre = attempt.pre
            greets = pre is not None and pre.greets  # the socket states its verdict on connect
            if greets:
                link.verdict = asyncio.get_running_loop().create_future()
            if attempt.auth_after_greeting:  # the socket greets first; the auth frame waits for it
                link.greeting = asyncio.get_running_loop().create_future()
            await self._open(link)
            verdict = await self._wait_verdict(link) if greets else None
            if link.greeting is not None:
                await self._wait_greeting(link)
            frame = attempt.auth_message()
            if frame is not None:
                verdict = await self._ask(link, frame)'''
# The lock as it was: released once the nonce is drawn, taken again for the auth frame.
LOCK_MUT = '''        async with self._signing():
            await _pre_auth_io(attempt, self._http)
        pre = attempt.pre
        greets = pre is not None and pre.greets  # the socket states its verdict on connect
        if greets:
            link.verdict = asyncio.get_running_loop().create_future()
        if attempt.auth_after_greeting:  # the socket greets first; the auth frame waits for it
            link.greeting = asyncio.get_running_loop().create_future()
        await self._open(link)
        verdict = await self._wait_verdict(link) if greets else None
        if link.greeting is not None:
            await self._wait_greeting(link)
        async with self._signing():
            frame = attempt.auth_message()
            if frame is not None:
                verdict = await self._ask(link, frame)'''
MUTATIONS = {
    "1 pre-auth errors escape as the module's": ([("            refusal = (exc.status, exc.code, exc.message)", "            raise")], "temporary_pre_auth or lockout or refused_credentials"),
    "1 every pre-auth refusal is final": ([("        if temporary(status, message):", "        if False:")], "temporary_pre_auth or lockout"),
    "1 the supervisor's end never reaches recv": ([("        self._supervisor.add_done_callback(self._supervisor_ended)\n", ""), ("            refusal = (exc.status, exc.code, exc.message)", "            raise")], "refused_credentials"),
    "2 backoff resets after every login": ([("if link.authenticated_at is not None and time.monotonic() - link.authenticated_at >= self.backoff.stable_s:", "if True:")], "drops_every_login"),
    "2 a too-big message is a lost connection": ([("if exc.sent is not None and exc.sent.code == CloseCode.MESSAGE_TOO_BIG:", "if False:")], "max_size"),
    "3 lock released before the upgrade": ([(LOCK_OLD, LOCK_MUT)], "nonce_order"),
    "4 connect not bounded as a whole": ([('''            async with asyncio.timeout(self.auth_timeout_s):
                await self._establish()''', '''            await self._establish()''')], "dribbled"),
    "8 errors keep the URL as __context__": ([('''        except (OSError, WebSocketException, ValueError) as exc:
            unreachable = type(exc).__name__
''', '''        except (OSError, WebSocketException, ValueError) as exc:
            raise self._fail(ConnectionLost, f"could not open the socket ({type(exc).__name__})", url) from None
''')], "unusable"),
    "4 close not bounded": ([("                close_timeout=self.auth_timeout_s,\n", "")], "silent_server"),
    "5 websockets gets a plain logger": ([("logger=_FRAMES_LOG,", 'logger=logging.getLogger("wsauth.session.socket"),')], "dictconfig"),
    "6 every 4xx handshake is final": ([("if refused is not None and 400 <= refused < 500 and not temporary(refused, None):", "if refused is not None and 400 <= refused < 500:")], "429"),
}


def main(only: list[str]) -> int:
    original = G.read_text(encoding="utf-8")
    survivors = []
    try:
        for name, (edits, selector) in MUTATIONS.items():
            if only and not any(o in name for o in only):
                continue
            text = original
            for old, new in edits:
                assert text.count(old) == 1, f"{name}: the code to mutate changed: {old[:60]!r}"
                text = text.replace(old, new)
            G.write_text(text, encoding="utf-8")
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "tests/runtime/test_session_faults.py", "-k", selector],
                cwd=ROOT, capture_output=True, text=True, timeout=300,
            )
            killed = result.returncode != 0
            print(f"{'killed  ' if killed else 'SURVIVED'} {name}  (-k {selector!r})")
            if not killed:
                survivors.append(name)
    finally:
        G.write_text(original, encoding="utf-8")
    print(f"{len(survivors)} survivor(s)")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""The DKIM cases of the network lab (issue 13): correo's signatures checked by OpenDKIM.

    python3 dkim_cases.py CORREO     # as root; CORREO is the correo binary

Lab: correo on a (a.test) with keys from `correo dkim keygen a.test --selector lab` (lab-ed, Ed25519,
and lab-rsa, 2048-bit RSA, in STORAGE/dkim/a.test/), their TXT records published in the lab's dnsmasq
as keygen printed them; Postfix on c (c.test) with OpenDKIM (Debian's `opendkim`) as its milter:
Mode v, AuthservID mx.c.test, listening on 127.0.0.1:8891 inside c, resolving through the lab's
dnsmasq (`Nameservers`: the filter uses libunbound, which does not read resolv.conf; and
`ResolverConfiguration` with `local-zone: "test." nodefault`, as unbound otherwise answers NXDOMAIN
for the special-use name test. itself: "key not found in DNS"), and Postfix's
`milter_default_action = tempfail` (a milter that does not answer defers the mail instead of letting it
through unchecked).

Cases: alice@a.test submits to bob@c.test → the message in bob's Maildir carries OpenDKIM's
Authentication-Results with dkim=pass header.d=a.test for both signatures (rsa-sha256 and
ed25519-sha256); `opendkim-testmsg` (libopendkim with the namespace's resolv.conf) verifies the same
delivered bytes; the delivered message sent again from b by a plain SMTP client (smtplib) passes
again unchanged, and with one body line altered gets dkim=fail (and opendkim-testmsg refuses it).

The last line is `lab dkim: N passed, M failed`; exit 1 if any failed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lab import TXT, Lab, LabError, Message, Proc  # noqa: E402
from selftest import case, check  # noqa: E402
from correo_cases import SCHEDULE, Correo, run_script, submit, wait_subject  # noqa: E402

MILTER_PORT = 8891
SELECTOR = "lab"
SUBJECT = "signed by correo, checked by OpenDKIM"

# a plain SMTP client: sends the file's bytes as they are (smtplib dot-stuffs and makes CRLF)
RESEND = r'''
import smtplib, sys
server, sender, rcpt, path = sys.argv[1:5]
with smtplib.SMTP(server, 25, local_hostname="mx.b.test", timeout=20) as s:
    s.sendmail(sender, [rcpt], open(path, "rb").read())
'''


def keygen(binary: str, a: Correo) -> list[TXT]:
    """`correo dkim keygen` into a's storage; the TXT records as it printed them (`NAME. IN TXT ( "…" "…" )`)."""
    r = subprocess.run([binary, "dkim", "keygen", "-s", str(a.storage), "a.test", "--selector", SELECTOR],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise LabError(f"correo dkim keygen: {r.stdout}{r.stderr}")
    records = []
    for m in re.finditer(r"(?m)^(\S+)\.\s+IN\s+TXT\s+\((.*)\)\s*$", r.stdout):
        records.append(TXT(m.group(1), "".join(re.findall(r'"([^"]*)"', m.group(2)))))
    if len(records) != 2:
        raise LabError(f"correo dkim keygen printed {len(records)} TXT records, not 2:\n{r.stdout}")
    return records


def start_opendkim(lab: Lab, host: str) -> Proc:
    """OpenDKIM in verify mode in host, in the foreground (its log: lab.work/logs/HOST-opendkim-N.log)."""
    missing = [t for t in ("opendkim", "opendkim-testmsg") if not shutil.which(t)]
    if missing:
        raise LabError(f"missing: {', '.join(missing)}; run `bash interop/lab/install.sh` (Debian packages "
                       "opendkim opendkim-tools)")
    d = lab.work / "opendkim"
    d.mkdir(mode=0o755)
    conf = d / "opendkim.conf"
    # libunbound answers names under test. itself (NXDOMAIN, RFC 6761's special-use default) unless
    # told not to: the lab's zone is test.
    unbound = d / "unbound.conf"
    unbound.write_text('server:\n    local-zone: "test." nodefault\n')
    conf.write_text(
        "Mode v\n"
        f"Socket inet:{MILTER_PORT}@127.0.0.1\n"
        f"AuthservID {lab.hosts[host].fqdn}\n"
        "AlwaysAddARHeader yes\n"
        "Syslog no\n"
        "Background no\n"
        "UserID opendkim:opendkim\n"
        f"PidFile {d / 'opendkim.pid'}\n"
        f"Nameservers {lab.ip('dns')}\n"
        f"ResolverConfiguration {unbound}\n"
    )
    proc = lab.spawn(host, ["opendkim", "-f", "-x", str(conf)], name="opendkim")
    if not lab.wait_port(host, "127.0.0.1", MILTER_PORT, timeout=15, proc=proc):
        raise LabError(f"[{host}] opendkim did not listen on 127.0.0.1:{MILTER_PORT}:\n{proc.output()[-2000:]}")
    return proc


def auth_results(msg: Message, authserv_id: str) -> list[dict]:
    """The dkim results of the Authentication-Results headers of authserv_id: one dict per result
    (result, header.d, header.a, header.s, and the whole header as text)."""
    head = msg.data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    out = []
    for m in re.finditer(r"(?im)^Authentication-Results:[ \t]*(.*(?:\n[ \t].*)*)", head):
        text = re.sub(r"\s+", " ", m.group(1)).strip()
        if not text.startswith(authserv_id):
            continue
        # comments such as "(2048-bit key; unprotected)" hold semicolons too: left out before splitting
        for part in re.sub(r"\([^()]*\)", " ", text).split(";")[1:]:
            r = re.search(r"\bdkim=(\w+)", part)
            if r:
                props = dict(re.findall(r"\b(header\.[a-z]+)=(\S+)", part))
                out.append({"result": r.group(1), **props, "text": text})
    return out


def signatures(msg: Message) -> list[str]:
    head = msg.data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    return [re.sub(r"\s+", " ", s) for s in re.findall(r"(?im)^DKIM-Signature:[ \t]*(.*(?:\n[ \t].*)*)", head)]


def passes(results: list[dict]) -> dict[str, str]:
    """algorithm → result, for the results about a.test."""
    return {r.get("header.a", "?"): r["result"] for r in results if r.get("header.d") == "a.test"}


def resendable(msg: Message, copy: str, alter_body: bool) -> bytes:
    """The delivered message as a sender would send it again: Postfix's Return-Path/Delivered-To and
    OpenDKIM's Authentication-Results removed, an unsigned X-Lab-Copy header on top, and (alter_body)
    one body line changed after signing."""
    data = msg.data.replace(b"\r\n", b"\n")
    head, body = data.split(b"\n\n", 1)
    kept, skip = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skip:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower()
        skip = name in (b"return-path", b"delivered-to", b"authentication-results")
        if not skip:
            kept.append(line)
    if alter_body:
        body = b"This line was added after signing.\n" + body
    return b"X-Lab-Copy: " + copy.encode() + b"\n" + b"\n".join(kept) + b"\n\n" + body


def testmsg(lab: Lab, data: bytes) -> subprocess.CompletedProcess:
    """opendkim-testmsg in c verifying data (stdin), the key looked up through c's resolv.conf."""
    return lab.run("c", ["opendkim-testmsg"], input=data.decode("utf-8", "replace"), check=False, timeout=60)


# ----------------------------------------------------------------------------------------------------
# the cases


def milter_pass(lab: Lab, a: Correo, pf, milter: Proc, delivered: list) -> str:
    submit(lab, a, "bob@c.test", SUBJECT)
    msgs = wait_subject(pf.maildir("bob@c.test"), SUBJECT, timeout=30)
    check(len(msgs) == 1, f"{len(msgs)} copies in bob@c.test's Maildir at c; Postfix: "
          + " | ".join(line for line in pf.log_text().splitlines() if "milter" in line or "bob@c.test" in line)[-800:])
    delivered.append(msgs[0])
    sigs = signatures(msgs[0])
    check(len(sigs) == 2 and all("d=a.test" in s for s in sigs), f"correo's DKIM-Signature headers: {sigs}")
    results = auth_results(msgs[0], "mx.c.test")
    check(results, "no Authentication-Results of mx.c.test (OpenDKIM) in the delivered message; opendkim: "
          + milter.output()[-500:])
    got = passes(results)
    check(got.get("rsa-sha256") == "pass", f"rsa-sha256 (header.d=a.test) not pass: {results}")
    check(got.get("ed25519-sha256") == "pass", f"ed25519-sha256 (header.d=a.test) not pass: {results}")
    return f"Authentication-Results: {results[0]['text'][:240]}"


def testmsg_pass(lab: Lab, delivered: list) -> str:
    check(delivered, "nothing delivered by the case before")
    r = testmsg(lab, delivered[0].data)
    check(r.returncode == 0, f"opendkim-testmsg exit {r.returncode}: {(r.stdout + r.stderr)[-500:]}")
    return "opendkim-testmsg: exit 0 on the bytes in bob's Maildir"


def resent(lab: Lab, pf, delivered: list, copy: str, alter_body: bool) -> tuple[Message, list[dict]]:
    """Sends the delivered message again from b to c's port 25 with smtplib; the new copy at c and
    OpenDKIM's results about it."""
    path = lab.work / f"resend-{copy}.eml"
    path.write_bytes(resendable(delivered[0], copy, alter_body))
    path.chmod(0o644)
    r = lab.run("b", [sys.executable, "-c", RESEND, lab.ip("c"), "alice@a.test", "bob@c.test", str(path)],
                check=False, timeout=60)
    check(r.returncode == 0, f"smtplib from b to c: exit {r.returncode}: {(r.stdout + r.stderr)[-500:]}")
    found: list[Message] = []
    for _ in range(150):  # 30 s
        found = [m for m in wait_subject(pf.maildir("bob@c.test"), SUBJECT, timeout=0)
                 if m.header("X-Lab-Copy") == copy]
        if found:
            break
        time.sleep(0.2)
    check(len(found) == 1, f"{len(found)} copies of {copy!r} in bob's Maildir; Postfix: " + pf.log_text()[-500:])
    return found[0], auth_results(found[0], "mx.c.test")


def replay_pass(lab: Lab, pf, delivered: list) -> str:
    check(delivered, "nothing delivered by the first case")
    _, results = resent(lab, pf, delivered, "unchanged", alter_body=False)
    got = passes(results)
    check(got.get("rsa-sha256") == "pass" and got.get("ed25519-sha256") == "pass",
          f"the unchanged copy sent again does not pass: {results}")
    return f"sent again unchanged from b: {got}"


def altered_body_fails(lab: Lab, pf, delivered: list) -> str:
    check(delivered, "nothing delivered by the first case")
    msg, results = resent(lab, pf, delivered, "altered", alter_body=True)
    got = passes(results)
    check(got and all(v != "pass" for v in got.values()), f"a body altered after signing passes: {results}")
    check(all(v == "fail" for v in got.values()), f"not dkim=fail: {results}")
    check(not any("key not found" in r["text"] for r in results), f"failed for want of the key, not the body: {results}")
    r = testmsg(lab, msg.data)
    check(r.returncode != 0, "opendkim-testmsg accepts the altered message")
    return (f"body altered after signing: {got}; opendkim-testmsg exit {r.returncode}: "
            f"{(r.stdout + r.stderr).strip()[-120:]}")


def main(argv: list[str]) -> int:
    def cases(lab: Lab, binary: str) -> None:
        milter = start_opendkim(lab, "c")
        pf = lab.start_postfix("c", "c.test", main={
            "smtpd_milters": f"inet:127.0.0.1:{MILTER_PORT}",
            "non_smtpd_milters": f"inet:127.0.0.1:{MILTER_PORT}",
            "milter_default_action": "tempfail",
        })
        a = Correo(lab, binary, "a", "a.test", ["alice@a.test"], user="nobody", extra=SCHEDULE)
        lab.add_record(*keygen(binary, a))
        a.start()
        delivered: list[Message] = []
        case("correo a → Postfix+OpenDKIM milter on c: dkim=pass header.d=a.test (rsa-sha256, ed25519-sha256)",
             milter_pass, lab, a, pf, milter, delivered)
        case("opendkim-testmsg verifies the delivered bytes", testmsg_pass, lab, delivered)
        case("the delivered message sent again unchanged (smtplib from b): dkim=pass", replay_pass, lab, pf, delivered)
        case("the body altered after signing: dkim=fail, opendkim-testmsg refuses it", altered_body_fails, lab, pf,
             delivered)

    return run_script(argv, "lab dkim", "lab DKIM cases (issue 13): correo signs, OpenDKIM verifies", cases)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

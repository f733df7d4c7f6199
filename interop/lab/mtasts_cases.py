#!/usr/bin/env python3
"""The MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) cases of the network lab (issue 13, outbound half).

    python3 mtasts_cases.py CORREO     # as root; CORREO is the correo binary

Lab: sts.test has `MX 10 mx.sts.test` (host b, correo), `_mta-sts.sts.test TXT "v=STSv1; id=1"` and
`_smtp._tls.sts.test TXT "v=TLSRPTv1; rua=mailto:tlsrpt@b.test"`; mta-sts.sts.test is host c, where a
Python HTTPS server (ssl + http.server) serves an `enforce` policy (`mx: mx.sts.test`) with a
certificate from a "web" CA that a knows only through `--outbound-mta-sts-ca-file`. The MX certificates come
from an "mx" CA that is in a's system trust store (lab.trust_ca), as a public CA would be.

Cases: b presents a certificate for another name → a defers, the message stays queued, nothing
reaches b; b restarted with a certificate for mx.sts.test → delivered (the queued message, at its next
retry); a's TLS-RPT day file made yesterday's and a restarted → the report for sts.test arrives at
tlsrpt@b.test (multipart/report, application/tlsrpt+gzip, the §4.4 JSON with one success and the
failed sessions). Each wait is bounded; the lab is torn down at the end.

The last line is `lab mta-sts: N passed, M failed`; exit 1 if any failed.
"""

from __future__ import annotations

import email
import email.policy
import gzip
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lab import MX, TXT, Addr, Lab, LabError, read_maildir  # noqa: E402
from selftest import case, check  # noqa: E402
from correo_cases import Correo, run_script, submit, wait_delivered, wait_subject  # noqa: E402

SCHEDULE = ["--queue-retry-min", "1", "--queue-retry-max", "2", "--queue-delay-warning", "0",
            "--queue-lifetime", "600"]
POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mx.sts.test\r\nmax_age: 86400\r\n"

HTTPS_SERVER = r'''
import http.server, os, ssl, sys
root, ip, cert, key = sys.argv[1:5]
os.chdir(root)
server = http.server.ThreadingHTTPServer((ip, 443), http.server.SimpleHTTPRequestHandler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print("serving", flush=True)
server.serve_forever()
'''


def openssl(*args: str) -> None:
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise LabError(f"openssl {' '.join(args)}: {r.stderr}")


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    key, cert = folder / f"{name}-ca.key", folder / f"{name}-ca.pem"
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", f"/CN=correo lab {name} CA", "-keyout", str(key), "-out", str(cert),
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    return cert, key


def issue(folder: Path, ca: tuple[Path, Path], dns_name: str) -> tuple[Path, Path]:
    """A leaf certificate for dns_name (SAN) signed by ca."""
    key, csr, cert = folder / f"{dns_name}.key", folder / f"{dns_name}.csr", folder / f"{dns_name}.pem"
    ext = folder / f"{dns_name}.ext"
    ext.write_text(f"subjectAltName=DNS:{dns_name}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", f"/CN={dns_name}",
            "-keyout", str(key), "-out", str(csr))
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial", "-days", "2",
            "-extfile", str(ext), "-out", str(cert))
    for f in (key, cert):
        f.chmod(0o644)  # read by correo as nobody
    return cert, key


def sts_lines(c: Correo) -> list[str]:
    return c.log_lines("event=mta-sts.apply")


def wait_line(c: Correo, needle: str, timeout: float) -> list[str]:
    found: list[str] = []
    for _ in range(int(timeout / 0.2) + 1):
        found = [line for line in c.log().splitlines() if needle in line]
        if found:
            return found
        time.sleep(0.2)
    return found


def wrong_name_deferred(lab: Lab, a: Correo, b: Correo) -> str:
    submit(lab, a, "x@sts.test", "sts wrong name")
    fetched = wait_line(a, "event=mta-sts.fetch", timeout=20)
    check(fetched and "result=ok" in fetched[0] and "mode=enforce" in fetched[0],
          f"a did not fetch sts.test's policy over HTTPS: {fetched or a.log()[-1500:]}")
    deferred = wait_line(a, "result=deferred", timeout=20)
    check(deferred, f"no MTA-STS deferral logged at a: {sts_lines(a) or a.log()[-1500:]}")
    check("relay=mx.sts.test" in deferred[0] and "policy_domain=sts.test" in deferred[0], f"odd line: {deferred[0]}")
    # at least one retry (the shortened schedule): still deferred, never sent in clear
    for _ in range(75):  # ≤ 15 s
        if len([line for line in sts_lines(a) if "result=deferred" in line]) >= 2:
            break
        time.sleep(0.2)
    queue = a.queue_list()
    check("x@sts.test" in queue, f"the message is not in a's queue: {queue}")
    check(not read_maildir(b.maildir("x@sts.test")), "the message reached b despite the wrong certificate")
    sent = [line for line in a.log_lines("delivery attempt") if "to=x@sts.test" in line and "status=sent" in line]
    check(not sent, f"a logged a delivery: {sent}")
    retries = len([line for line in sts_lines(a) if "result=deferred" in line])
    check(retries >= 2, f"the message was not retried: {retries} deferral(s)")
    return f"deferred {retries} time(s) (\"{deferred[0].split('reason=')[-1][:120]}\"); queued: {queue.splitlines()[0][:80]}"


def matching_name_delivered(lab: Lab, a: Correo, b: Correo, right: tuple[Path, Path]) -> str:
    b.stop()
    b.extra = ["--cert", str(right[0]), "--key", str(right[1])]
    b.start()
    msgs = wait_subject(b.maildir("x@sts.test"), "sts wrong name", timeout=30)
    check(len(msgs) == 1, f"the queued message did not arrive at b after the certificate was fixed: {len(msgs)}")
    verified = wait_line(a, "result=verified", timeout=5)
    check(verified and "relay=mx.sts.test" in verified[0], f"no verified MTA-STS line: {sts_lines(a)}")
    sent = wait_delivered(a, "x@sts.test")
    check(sent and "tls=true" in sent[0], f"no TLS delivery logged: {sent}")
    out = a.wait_queue_empty(timeout=10)
    check("The queue is empty." in out, f"a's queue: {out}")
    return "delivered over verified TLS to mx.sts.test; a's queue empty"


def tls_report_sent(lab: Lab, a: Correo, b: Correo) -> str:
    a.stop()
    folder = a.storage / "tls-rpt"
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    day_file = folder / f"{today}.json"
    check(day_file.exists(), f"no TLS-RPT day file at a: {list(folder.iterdir()) if folder.exists() else 'no folder'}")
    tallies = json.loads(day_file.read_text())
    check("sts.test" in tallies, f"sts.test not counted: {tallies}")
    # as if midnight UTC had passed: the day is finished, its report due at the next look (on start)
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%d")
    day_file.rename(folder / f"{yesterday}.json")
    a.start()
    found = []
    for _ in range(100):  # ≤ 20 s
        found = [m for m in read_maildir(b.maildir("tlsrpt@b.test"))
                 if (m.header("TLS-Report-Domain") or "").strip() == "sts.test"]
        if found:
            break
        time.sleep(0.2)
    check(found, f"no TLS-RPT report for sts.test at tlsrpt@b.test; a's log: {a.log_lines('tls-rpt') or a.log()[-1500:]}")
    msg = email.message_from_bytes(found[0].data, policy=email.policy.default)
    check(msg.get_content_type() == "multipart/report" and msg.get_param("report-type") == "tlsrpt",
          f"Content-Type: {msg['Content-Type']}")
    check(str(msg["Subject"]).startswith("Report Domain: sts.test Submitter: mx.a.test Report-ID: <"),
          f"Subject: {msg['Subject']}")
    check(str(msg["TLS-Report-Submitter"]).strip() == "mx.a.test", f"TLS-Report-Submitter: {msg['TLS-Report-Submitter']}")
    attachments = [p for p in msg.iter_parts() if p.get_content_type() == "application/tlsrpt+gzip"]
    check(len(attachments) == 1, f"parts: {[p.get_content_type() for p in msg.iter_parts()]}")
    check((attachments[0].get_filename() or "").endswith(".json.gz"), f"filename: {attachments[0].get_filename()}")
    report = json.loads(gzip.decompress(attachments[0].get_content()))
    for key in ("organization-name", "date-range", "contact-info", "report-id", "policies"):
        check(key in report, f"no {key} in the report: {report}")
    check(report["date-range"]["start-datetime"] == f"{yesterday}T00:00:00Z", f"date-range: {report['date-range']}")
    policy = report["policies"][0]
    check(policy["policy"]["policy-type"] == "sts" and policy["policy"]["policy-domain"] == "sts.test",
          f"policy: {policy['policy']}")
    check("mode: enforce" in policy["policy"]["policy-string"], f"policy-string: {policy['policy']}")
    summary = policy["summary"]
    check(summary["total-successful-session-count"] >= 1 and summary["total-failure-session-count"] >= 1,
          f"summary: {summary}")
    details = policy.get("failure-details", [])
    # b's first certificate is from a trusted authority, for wrong.sts.test: a name mismatch (§4.3.1)
    check(any(d["result-type"] == "certificate-host-mismatch" and d.get("receiving-mx-hostname") == "mx.sts.test"
              for d in details), f"failure-details: {details}")
    check(not (folder / f"{yesterday}.json").exists(), "the reported day's file is still there")
    return (f"report {report['report-id']}: {summary['total-successful-session-count']} successful, "
            f"{summary['total-failure-session-count']} failed ({', '.join(d['result-type'] for d in details)})")


def main(argv: list[str]) -> int:
    def cases(lab: Lab, binary: str) -> None:
        pki = lab.work / "pki"
        pki.mkdir(mode=0o755)
        web_ca, mx_ca = make_ca(pki, "web"), make_ca(pki, "mx")
        web = issue(pki, web_ca, "mta-sts.sts.test")
        wrong, right = issue(pki, mx_ca, "wrong.sts.test"), issue(pki, mx_ca, "mx.sts.test")
        web_ca[0].chmod(0o644)
        lab.trust_ca("a", mx_ca[0])  # the MX CA is "public": in a's system store; the web CA is not
        lab.add_record(
            MX("sts.test", "mx.sts.test"), Addr("mx.sts.test", lab.ip("b")), Addr("mta-sts.sts.test", lab.ip("c")),
            TXT("_mta-sts.sts.test", "v=STSv1; id=1"),
            TXT("_smtp._tls.sts.test", "v=TLSRPTv1; rua=mailto:tlsrpt@b.test"))
        site = lab.work / "site"
        (site / ".well-known").mkdir(parents=True)
        (site / ".well-known" / "mta-sts.txt").write_text(POLICY)
        https = lab.spawn("c", [sys.executable, "-c", HTTPS_SERVER, str(site), lab.ip("c"), str(web[0]), str(web[1])],
                          name="https")
        if not lab.wait_port("c", lab.ip("c"), 443, timeout=15, proc=https):
            raise LabError(f"the policy server did not start: {https.output()[-1000:]}")
        b = Correo(lab, binary, "b", ["b.test", "sts.test"], ["x@sts.test", "tlsrpt@b.test"], user="nobody",
                   extra=["--cert", str(wrong[0]), "--key", str(wrong[1])]).start()
        a = Correo(lab, binary, "a", "a.test", ["alice@a.test"], user="nobody",
                   extra=[*SCHEDULE, "--outbound-mta-sts-ca-file", str(web_ca[0])]).start()
        case("MTA-STS enforce, MX certificate for another name: deferred, kept queued", wrong_name_deferred, lab, a, b)
        case("MTA-STS enforce, MX certificate for mx.sts.test: delivered", matching_name_delivered, lab, a, b, right)
        case("TLS-RPT: the day's report for sts.test sent to its mailto: rua", tls_report_sent, lab, a, b)

    return run_script(argv, "lab mta-sts", "lab MTA-STS / TLS-RPT cases (issue 13)", cases)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""A deterministic mailbox of varied messages for the IMAP benchmarks.

    python3 mailgen.py OUT_STORAGE [--count 20000] [--seed 6]

Writes OUT_STORAGE/passwords.txt (`u@bench.test:benchpass`) and the Maildir OUT_STORAGE/u@bench.test/
(cur/ new/ tmp/), plus OUT_STORAGE/manifest.json with the expected search hits. The same count and seed
give byte-identical files. The mix: plain text (some quoted-printable UTF-8 with RFC 2047 subjects and
names), multipart/alternative text+HTML, multipart/mixed with a base64 attachment (2–60 KiB, a few
of 150 KiB), threads (In-Reply-To/References), Cc lists, Received chains, X-Priority; 90% CRLF files and
10% bare-LF files (as other programs write them); Dovecot-style `,S=size,W=crlf-size` in the names;
flags \\Seen on 80%, \\Answered on 10%, never \\Flagged (the STORE workload sets and clears it).
The subject word `SUBJECT_WORD` is in every 97th subject, the body word `BODY_WORD` in the text of every
89th message (deep in the body, after the first kilobyte where the text is long enough).
"""

import base64
import json
import os
import random
import sys

SUBJECT_WORD = "zephyrine"
BODY_WORD = "quokkaberry"
USER = "u@bench.test"
PASSWORD = "benchpass"
VERSION = 3

FIRST = ["Ana", "Bruno", "Chloé", "Dmitri", "Eva", "François", "Günter", "Hana", "Iñaki", "Jun", "Katarzyna",
         "Lars", "María", "Nils", "Olga", "Pedro", "Quentin", "Rosa", "Søren", "Tomás", "Uma", "Víctor", "Wen",
         "Xavier", "Yuki", "Zoë"]
LAST = ["García", "Smith", "Müller", "Rossi", "Dubois", "Nowak", "Svensson", "Tanaka", "Kim", "Silva",
        "O'Brien", "Kowalski", "Jensen", "Novák", "Horvát", "Ivanova"]
DOMAINS = ["example.org", "example.com", "lists.example.net", "mail.example.edu", "corp.example"]
WORDS = ("report meeting budget release schedule review draft update invoice travel server network backup "
         "project quarterly agenda minutes proposal contract deadline feedback question answer support ticket "
         "patch build failure success migration database storage upgrade holiday lunch team plan roadmap "
         "design benchmark latency throughput memory kernel driver printer office garden recipe concert").split()


def encoded_word(text):
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def person(rng):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    addr = f"{first.lower().encode('ascii', 'ignore').decode()}.{last.lower().encode('ascii', 'ignore').decode()}"
    addr = addr.replace("'", "") + "@" + rng.choice(DOMAINS)
    name = f"{first} {last}"
    shown = encoded_word(name) if not name.isascii() else f'"{name}"'
    return f"{shown} <{addr}>"


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def paragraph_text(rng, size, plant):
    lines, total = [], 0
    while total < size:
        line = sentence(rng, rng.randint(8, 12)).capitalize() + "."
        lines.append(line)
        total += len(line) + 2
    if plant:
        lines.insert(max(1, min(len(lines) - 1, len(lines) * 2 // 3)), f"Remember the {BODY_WORD} note here.")
    return "\n".join(lines) + "\n"


def qp_encode(text):
    out = []
    for line in text.split("\n"):
        enc = "".join(c if (c.isascii() and c != "=" and (32 <= ord(c) < 127)) else
                      "".join(f"={b:02X}" for b in c.encode()) for c in line)
        while len(enc) > 76:
            cut = 75
            while enc[cut - 2] == "=" or enc[cut - 1] == "=":
                cut -= 1
            out.append(enc[:cut] + "=")
            enc = enc[cut:]
        out.append(enc)
    return "\n".join(out)


def b64_lines(data):
    enc = base64.b64encode(data).decode()
    return "\n".join(enc[i:i + 76] for i in range(0, len(enc), 76)) + "\n"


def make(i, rng, message_ids):
    kind = rng.random()
    plant_body = i % 89 == 0
    subject = sentence(rng, rng.randint(2, 7)).capitalize()
    if i % 97 == 0:
        subject += f" {SUBJECT_WORD}"
    utf8 = rng.random() < 0.08
    if utf8:
        subject = encoded_word(subject + " — résumé")
    headers = []
    for hop in range(rng.randint(1, 4)):
        headers.append(f"Received: from mx{hop}.{rng.choice(DOMAINS)} (mx{hop}.example [192.0.2.{rng.randint(1, 254)}])\n"
                       f"\tby mail.bench.test with ESMTPS id {rng.getrandbits(48):012x}\n"
                       f"\tfor <{USER}>; Thu, 26 Nov 2026 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} +0000")
    headers.append(f"From: {person(rng)}")
    headers.append(f"To: {USER}" + (f", {person(rng)}" if rng.random() < 0.3 else ""))
    if rng.random() < 0.25:
        headers.append("Cc: " + ", ".join(person(rng) for _ in range(rng.randint(1, 4))))
    headers.append(f"Subject: {('Re: ' if message_ids and rng.random() < 0.3 else '')}{subject}")
    day = 1 + (i * 28 // 20000) % 28
    headers.append(f"Date: Mon, {day:02d} Sep 2026 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} +0200")
    mid = f"<{i}.{rng.getrandbits(32):08x}@{rng.choice(DOMAINS)}>"
    headers.append(f"Message-ID: {mid}")
    if message_ids and rng.random() < 0.3:
        parents = rng.sample(message_ids[-200:], min(len(message_ids[-200:]), rng.randint(1, 3)))
        headers.append(f"In-Reply-To: {parents[-1]}")
        headers.append("References: " + "\n\t".join(parents))
    if rng.random() < 0.1:
        headers.append(f"X-Priority: {rng.choice([1, 2, 5])}")
    if rng.random() < 0.1:
        headers.append(f"List-Id: <team{rng.randint(1, 9)}.lists.example.net>")
    headers.append("MIME-Version: 1.0")
    message_ids.append(mid)

    text_size = int(rng.lognormvariate(7.0, 0.9))  # median ~1.1 KB, long tail
    text_size = max(200, min(text_size, 40000))
    text = paragraph_text(rng, text_size, plant_body)
    if kind < 0.5:
        if utf8:
            headers.append("Content-Type: text/plain; charset=utf-8")
            headers.append("Content-Transfer-Encoding: quoted-printable")
            body = qp_encode(text.replace(" the ", " thé ", 3))
        else:
            headers.append("Content-Type: text/plain; charset=us-ascii; format=flowed")
            body = text
    elif kind < 0.75:
        b = f"alt-{i:06d}"
        headers.append(f'Content-Type: multipart/alternative; boundary="{b}"')
        html = "<html><body>" + "".join(f"<p>{p}</p>\n" for p in text.split("\n") if p) + "</body></html>\n"
        body = (f"This is a multi-part message in MIME format.\n--{b}\nContent-Type: text/plain; charset=utf-8\n"
                f"Content-Transfer-Encoding: 7bit\n\n{text}\n--{b}\nContent-Type: text/html; charset=utf-8\n"
                f"Content-Transfer-Encoding: 7bit\n\n{html}\n--{b}--\n")
    else:
        b = f"mix-{i:06d}"
        headers.append(f'Content-Type: multipart/mixed; boundary="{b}"')
        size = rng.randint(2048, 61440) if rng.random() < 0.95 else 153600
        data = rng.randbytes(size)
        fname, ctype = rng.choice([("report.pdf", "application/pdf"), ("photo.jpg", "image/jpeg"),
                                   ("data.zip", "application/zip"), ("notes.bin", "application/octet-stream")])
        inner = f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n{text}"
        if kind > 0.95:
            a = f"alt-{i:06d}"
            html = "<html><body><pre>" + text + "</pre></body></html>\n"
            inner = (f'Content-Type: multipart/alternative; boundary="{a}"\n\n--{a}\n{inner}\n--{a}\n'
                     f"Content-Type: text/html; charset=utf-8\n\n{html}\n--{a}--\n")
        body = (f"--{b}\n{inner}\n--{b}\nContent-Type: {ctype}; name=\"{fname}\"\n"
                f"Content-Disposition: attachment; filename=\"{fname}\"\nContent-Transfer-Encoding: base64\n\n"
                f"{b64_lines(data)}\n--{b}--\n")
    msg = "\n".join(headers) + "\n\n" + body
    return msg.encode()


def build(out, count, seed=6):
    manifest_path = os.path.join(out, "manifest.json")
    want = {"version": VERSION, "count": count, "seed": seed}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            have = json.load(f)
        if all(have.get(k) == v for k, v in want.items()):
            return have
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    box = os.path.join(out, USER)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(box, sub))
    with open(os.path.join(out, "passwords.txt"), "w") as f:
        f.write(f"{USER}:{PASSWORD}\n")
    rng = random.Random(seed)
    message_ids = []
    total = subject_hits = body_hits = 0
    base_time = 1788000000
    for i in range(count):
        msg = make(i, rng, message_ids)
        crlf = msg.replace(b"\n", b"\r\n")
        data = msg if rng.random() < 0.1 else crlf
        r = rng.random()
        flags = "RS" if r < 0.1 else ("S" if r < 0.8 else "")
        name = f"{base_time + i}.M{i}P1.bench,S={len(data)},W={len(crlf)}:2,{flags}"
        path = os.path.join(box, "cur", name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (base_time + i, base_time + i))
        total += len(data)
        subject_hits += i % 97 == 0
        body_hits += i % 89 == 0
    manifest = dict(want, user=USER, password=PASSWORD, bytes=total, subject_word=SUBJECT_WORD,
                    subject_hits=subject_hits, body_word=BODY_WORD, body_hits=body_hits)
    with open(manifest_path, "w") as f:
        json.dump(manifest, f)
    return manifest


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--count", type=int, default=20000)
    p.add_argument("--seed", type=int, default=6)
    a = p.parse_args()
    print(json.dumps(build(a.out, a.count, a.seed)))

"""Policy checks of a Dockerfile, on the BuildKit parser's view of it
(PyPI `dockerfile`).

    python deploy/tests/dockerfile_policy.py deploy/docker/Dockerfile [.dockerignore]
    python deploy/tests/dockerfile_policy.py --self-test deploy/docker/Dockerfile [.dockerignore]

The second form breaks the given Dockerfile in several ways, one at a time,
and fails unless the policy rejects every broken copy (the checks must be
able to fail).
"""
import os
import re
import sys
import tempfile

import dockerfile

DIGEST = re.compile(r"^(?P<name>[^@\s]+?)(?::(?P<tag>[\w][\w.-]*))?@sha256:[0-9a-f]{64}$")
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I)
SECRET_FILE = re.compile(r"(^|/)(\.env(\..*)?|.*\.pem|.*\.key|id_(rsa|ecdsa|ed25519)|\.npmrc|\.netrc)$")
# What .dockerignore must exclude when the whole context is copied.
MUST_IGNORE = ["**/.env", "**/*.pem", "**/*.key", ".git", "target"]


def stages(cmds):
    out = []
    for c in cmds:
        if c.cmd.upper() == "FROM":
            out.append({"from": c, "cmds": []})
        elif out:
            out[-1]["cmds"].append(c)
    return out


def kv_pairs(c):
    """(name, value or None) pairs of an ARG or ENV instruction."""
    vals = list(c.value)
    if c.cmd.upper() == "ENV" and "=" not in c.original.split(None, 1)[1].split()[0]:
        # legacy `ENV NAME value`
        return [(vals[0], " ".join(vals[1:]))] if vals else []
    if c.cmd.upper() == "ENV":
        return [(vals[i], vals[i + 1]) for i in range(0, len(vals) - 1, 2)]
    pairs = []
    for v in vals:
        name, eq, val = v.partition("=")
        pairs.append((name, val if eq else None))
    return pairs


def check(path, ignore_path=None):
    cmds = dockerfile.parse_file(path)
    bad = []
    st = stages(cmds)
    names = set()
    if len(st) < 2:
        bad.append(f"{len(st)} FROM: a multi-stage build is required (build stage + minimal runtime)")
    for s in st:
        v = list(s["from"].value)
        image = v[0]
        if len(v) >= 3 and v[1].upper() == "AS":
            alias = v[2]
        else:
            alias = None
        if image in names or image == "scratch":
            pass
        else:
            m = DIGEST.match(image)
            if not m:
                bad.append(f"line {s['from'].start_line}: FROM {image}: pin the image by digest (name:tag@sha256:...)")
            elif m.group("tag") == "latest":
                bad.append(f"line {s['from'].start_line}: FROM {image}: no `latest` tag, name the version")
        if alias:
            names.add(alias)
        for c in s["cmds"]:
            cmd = c.cmd.upper()
            if cmd in ("ARG", "ENV"):
                for name, val in kv_pairs(c):
                    if SECRET_NAME.search(name) and (cmd == "ARG" or val):
                        bad.append(f"line {c.start_line}: {cmd} {name}: secrets do not go into ARG/ENV "
                                   "(they stay in the image history); use a build secret mount")
            if cmd in ("COPY", "ADD"):
                srcs = list(c.value[:-1])
                for src in srcs:
                    if SECRET_FILE.search(src.rstrip("/")):
                        bad.append(f"line {c.start_line}: {cmd} {src}: keys and environment files never go into an image")
                    if cmd == "ADD" and re.match(r"^[a-z]+://", src):
                        bad.append(f"line {c.start_line}: ADD {src}: no downloads without a checksum; use a pinned stage")
                if "." in srcs or "./" in srcs:
                    ignored = []
                    if ignore_path and os.path.exists(ignore_path):
                        ignored = [l.strip() for l in open(ignore_path) if l.strip() and not l.startswith("#")]
                    missing = [p for p in MUST_IGNORE if p not in ignored]
                    if missing:
                        bad.append(f"line {c.start_line}: {cmd} of the whole context, but .dockerignore does not exclude {missing}")
            if cmd == "RUN" and "cargo build" in " ".join(c.value):
                text = " ".join(c.value)
                for flag in ("--release", "--locked"):
                    if flag not in text:
                        bad.append(f"line {c.start_line}: cargo build without {flag}")
    if st:
        final = st[-1]
        users = [c for c in final["cmds"] if c.cmd.upper() == "USER"]
        if not users:
            bad.append("final stage: no USER (it would run as root)")
        else:
            user = users[-1].value[0].split(":")[0]
            if not user.isdigit():
                bad.append(f"final stage: USER {users[-1].value[0]}: use a numeric uid (runAsNonRoot cannot verify a name)")
            elif int(user) == 0:
                bad.append("final stage: USER 0 is root")
        entry = [c for c in final["cmds"] if c.cmd.upper() == "ENTRYPOINT"]
        if not entry or not entry[-1].json:
            bad.append("final stage: ENTRYPOINT in exec (JSON) form is required (no shell in the image)")
        binary = entry[-1].value[0] if entry else None
        for c in final["cmds"]:
            cmd = c.cmd.upper()
            if cmd == "ADD":
                bad.append(f"line {c.start_line}: ADD in the final stage: copy only the binary from the build stage")
            if cmd == "RUN":
                bad.append(f"line {c.start_line}: RUN in the final stage: the runtime image is not modified")
            if cmd == "COPY":
                from_flags = [f for f in c.flags if f.startswith("--from=")]
                srcs, dest = list(c.value[:-1]), c.value[-1]
                if not from_flags or len(srcs) != 1:
                    bad.append(f"line {c.start_line}: the final stage copies only the binary (and its data), from a build stage")
                elif binary and dest != binary and not dest.startswith(DATA_DIR):
                    bad.append(f"line {c.start_line}: COPY to {dest}, but the ENTRYPOINT runs {binary} (data goes under {DATA_DIR})")
        exposed = [p for c in final["cmds"] if c.cmd.upper() == "EXPOSE" for p in c.value]
        if not any(p.split("/")[0] == "8080" for p in exposed):
            bad.append("final stage: EXPOSE 8080 (the service's port) is missing")
    return bad


# Read-only files the binary reads (the committed migrations) may be
# copied from a build stage here; nothing else but the binary.
DATA_DIR = "/usr/local/share/"

MUTATIONS = [
    ("a FROM without digest", lambda t: re.sub(r"(FROM rust:[^@\s]+)@sha256:[0-9a-f]{64}", r"\1", t, count=1)),
    ("a `latest` tag", lambda t: re.sub(r"cc-debian12:nonroot@", "cc-debian12:latest@", t, count=1)),
    ("USER by name", lambda t: t.replace("USER 65532:65532", "USER nonroot")),
    ("USER root", lambda t: t.replace("USER 65532:65532", "USER 0")),
    ("no USER", lambda t: t.replace("USER 65532:65532\n", "")),
    ("a secret ENV", lambda t: t.replace("ENV BIND=0.0.0.0", "ENV BIND=0.0.0.0 ADMIN_TOKEN=hunter2")),
    ("a secret ARG", lambda t: t.replace("WORKDIR /src", "ARG DATABASE_PASSWORD\nWORKDIR /src", 1)),
    ("a copied .env", lambda t: t.replace("COPY . .", "COPY . .\nCOPY .env /src/.env", 1)),
    ("a copied key", lambda t: t.replace("USER 65532", "COPY --from=build /src/server.pem /etc/server.pem\nUSER 65532", 1)),
    ("a second file in the final stage", lambda t: t.replace("USER 65532", "COPY --from=build /src/Cargo.toml /Cargo.toml\nUSER 65532", 1)),
    ("a single stage", lambda t: t[t.index("FROM gcr.io"):]),
    ("cargo build without --locked", lambda t: t.replace("cargo build --release --locked", "cargo build --release")),
]


def self_test(path, ignore_path):
    base = open(path).read()
    if check(path, ignore_path):
        print("the Dockerfile itself fails the policy:", *check(path, ignore_path), sep="\n  ")
        return 1
    missed = []
    with tempfile.TemporaryDirectory() as d:
        for what, mutate in MUTATIONS:
            text = mutate(base)
            if text == base:
                missed.append(f"{what}: the mutation did not apply (the Dockerfile changed?)")
                continue
            p = os.path.join(d, "Dockerfile")
            open(p, "w").write(text)
            if not check(p, ignore_path):
                missed.append(f"{what}: not rejected")
        # .dockerignore that lets keys through.
        ig = os.path.join(d, "dockerignore")
        open(ig, "w").write("target\n.git\n")
        if not check(path, ig):
            missed.append("a .dockerignore without .env/*.pem/*.key: not rejected")
    if missed:
        print("\n".join(missed))
        return 1
    print(f"{len(MUTATIONS) + 1} broken variants all rejected")
    return 0


def main():
    args = sys.argv[1:]
    if args and args[0] == "--self-test":
        sys.exit(self_test(args[1], args[2] if len(args) > 2 else None))
    path = args[0]
    bad = check(path, args[1] if len(args) > 1 else None)
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print(f"{path}: digests pinned, non-root numeric USER, only the binary in the final stage, no secrets")


if __name__ == "__main__":
    main()

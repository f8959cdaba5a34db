#!/usr/bin/env python3
"""Regenerates .cargo/prompt-layout.ld: the functions a prompt or a script runs, placed
together at the start of the code so that a run touches a few runs of pages instead of
most of the binary (README "Performance").

    python3 tests/bench/prompt_layout.py

Builds keycard as a release, unstripped, with a link map (in target/prompt-layout), runs
`status --short`, `status --format` and `token` under valgrind's callgrind on a signed-in
profile, a stale token file and no token file (as tests/bench/prompt.rs does), and writes
one linker-script line per function they ran (and touches src/main.rs, since cargo does not
know to link again when only the layout changed): Rust functions by their section name with
the hash left out (so the file survives rebuilds), C library functions by their archive
member. Functions added since the last run simply stay where the linker puts them; the
benchmark's RSS target says when it is time to run this again. Needs valgrind.
"""

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.join(REPO, "target", "prompt-layout")
LAYOUT = os.path.join(REPO, ".cargo", "prompt-layout.ld")
COMMANDS = [
    ["status", "--short"],
    ["status", "--format", "{profile} {state} {expires_in}"],
    ["token"],
]


def build():
    """The release binary with symbols, and its link map."""
    map_file = os.path.join(TARGET, "keycard.map")
    env = dict(os.environ, CARGO_PROFILE_RELEASE_STRIP="false")
    # cargo does not know the layout file: make it link again with the current one.
    touch_main()
    subprocess.run(
        ["cargo", "rustc", "--release", "--bin", "keycard", "--target-dir", TARGET,
         "--", "-C", f"link-arg=-Wl,-Map={map_file}"],
        cwd=REPO, env=env, check=True)
    host = subprocess.run(["rustc", "--print", "host-tuple"], capture_output=True,
                          text=True, check=True).stdout.strip()
    return os.path.join(TARGET, host, "release", "keycard"), map_file


def touch_main():
    os.utime(os.path.join(REPO, "src", "main.rs"))


def config_dir(root, state):
    """The benchmark's config directory for one state."""
    path = os.path.join(root, state)
    os.makedirs(path, mode=0o700)
    with open(os.path.join(path, "config.toml"), "w") as f:
        f.write('active = "prod"\n\n[profiles.prod]\nissuer = "https://id.example.com"\n'
                'client_id = "keycard-cli"\nscopes = ["openid", "email", "offline_access"]\n')
    os.chmod(os.path.join(path, "config.toml"), 0o600)
    if state == "none":
        return path
    now = datetime.datetime.now(datetime.timezone.utc)
    hours = 8 if state == "valid" else -1
    tokens = {
        "version": 1, "access_token": "a", "token_type": "Bearer", "scope": "openid",
        "issued_at": (now - datetime.timedelta(hours=2)).isoformat(),
        "expires_at": (now + datetime.timedelta(hours=hours)).isoformat(),
        "issuer": "https://id.example.com", "client_id": "keycard-cli",
        "identity": {"sub": "u1", "email": "alice@example.com", "name": "Alice"},
    }
    if state == "valid":
        tokens["refresh_token"] = "r"
    token_file = os.path.join(path, "auth-prod.json")
    with open(token_file, "w") as f:
        json.dump(tokens, f)
    os.chmod(token_file, 0o600)
    return path


def functions_run(binary):
    """Mangled names of every function any benchmark case ran, in first-seen order."""
    seen = {}
    with tempfile.TemporaryDirectory() as root:
        for state in ["valid", "stale", "none"]:
            path = config_dir(root, state)
            for command in COMMANDS:
                out = os.path.join(root, "callgrind.out")
                subprocess.run(
                    ["valgrind", "--tool=callgrind", "--demangle=no",
                     f"--callgrind-out-file={out}", binary, *command],
                    env={"PATH": "/usr/bin:/bin", "HOME": path, "KEYCARD_CONFIG_DIR": path},
                    cwd=path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                with open(out) as f:
                    for line in f:
                        m = re.match(r"c?fn=\(\d+\) (.*)", line)
                        if m:
                            seen.setdefault(re.sub(r"'\d+$", "", m.group(1)), None)
    return list(seen)


def sections(map_file):
    """C symbol name -> the input section holding it, from the link map. (Functions
    callgrind knows only by address are in .init and .iplt, which cannot move.)"""
    holder = {}
    current = None
    with open(map_file) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and ":(" in line:
                current = line.split(None, 4)[4].strip()
            elif len(parts) == 5 and current:
                holder.setdefault(parts[4], current)
    return holder


# C library functions a real run uses that callgrind does not show: valgrind's own start
# of a static program skips them (found with `perf record -e page-faults -d`).
NOT_SEEN_UNDER_VALGRIND = [
    "_dl_new_object",
    "_dl_add_to_namespace_list",
    "_dl_setup_hash",
    "pthread_mutex_lock",
]


def c_pattern(section):
    """The linker-script pattern for a C function's input section, or None."""
    m = re.search(r"/([^/]+\.a)\(([^)]+)\):\((.*)\)$", section)
    if not m:
        # Outside an archive: only a section of its own (`.text.main`) can be named.
        m = re.search(r":\((\.text\.[^)]+)\)$", section)
        return f"*({m.group(1)})" if m else None
    archive, member, name = m.groups()
    # glibc picks a string function's variant for the CPU at start-up (memmove-evex,
    # memmove-avx2, ...), and valgrind's CPU is not the real one: take the family.
    family = re.match(r"((?:mem|str|stp|rawmem|wmem|wcs)[a-z]*)[-.]", member)
    if family:
        return f"*{archive}:{family.group(1)}[-.]*(.text .text.*)"
    return f"*{archive}:{member}({name})"


def layout(names, holder):
    rust, c_lib = [], []
    names = names + NOT_SEEN_UNDER_VALGRIND
    for name in names:
        if name.startswith("_ZN"):
            # Legacy mangling: the 17h<hash>E suffix changes with the build.
            pattern = re.sub(r"17h[0-9a-f]{16}E.*$", "17h*", name)
            pattern = f"*(.text.{pattern} .text.unlikely.{pattern})"
            target = rust
        elif name.startswith("_R"):
            # v0 mangling: crate disambiguators change with the build, and so does the
            # number LLVM gives a copy (`.31`, `.llvm.123`).
            pattern = re.sub(r"Cs[0-9A-Za-z]+_", "Cs*_", name)
            pattern = re.sub(r"(\.llvm)?\.\d+$", "*", pattern)
            pattern = f"*(.text.{pattern} .text.unlikely.{pattern})"
            target = rust
        else:
            pattern = c_pattern(holder.get(name, ""))
            if pattern is None:
                continue
            target = c_lib
        if pattern not in target:
            target.append(pattern)
    lines = [
        "/* The functions `keycard status --short`, `status --format` and `token` run, first,",
        "   so that a prompt touches a few runs of code pages rather than most of the binary",
        "   (README \"Performance\"). Generated by tests/bench/prompt_layout.py; used by",
        "   .cargo/config.toml. A function missing here still links, just elsewhere. */",
        "SECTIONS {",
        "  .text.prompt : {",
    ]
    # Sorted: the order inside the section hardly matters, and a stable file diffs well.
    lines += [f"    {p}" for p in sorted(rust) + sorted(c_lib)]
    lines += ["  }", "} INSERT BEFORE .text;", ""]
    return "\n".join(lines)


def main():
    binary, map_file = build()
    names = functions_run(binary)
    text = layout(names, sections(map_file))
    with open(LAYOUT, "w") as f:
        f.write(text)
    # The next build links with the new layout.
    touch_main()
    print(f"{LAYOUT}: {len(names)} functions", file=sys.stderr)


if __name__ == "__main__":
    main()

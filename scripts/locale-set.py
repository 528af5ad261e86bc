#!/usr/bin/env python3
"""Set translation keys in both locale files, keeping them sorted.

Usage: scripts/locale-set.py KEY 'zh-CN text' 'en text' [KEY zh en ...]
       scripts/locale-set.py --merge-conflicts   # after a git merge: merge locales/*.json key by key (three-way)
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {"zh": ROOT / "locales" / "zh-CN.json", "en": ROOT / "locales" / "en.json"}


def write(path, data):
    path.write_text(json.dumps(dict(sorted(data.items())), ensure_ascii=False, indent=1))


def merge_conflicts():
    for path in FILES.values():
        rel = path.relative_to(ROOT).as_posix()
        sides = []
        for stage in (1, 2, 3):
            shown = subprocess.run(["git", "show", f":{stage}:{rel}"], cwd=ROOT, capture_output=True, text=True)
            if shown.returncode != 0:
                break
            sides.append(json.loads(shown.stdout))
        if len(sides) != 3:
            continue
        base, ours, theirs = sides
        # Three-way, key by key: a side that left a key as it was takes the other's change.
        merged = {**theirs, **ours}
        for key in sorted(set(ours) & set(theirs)):
            if ours[key] == theirs[key]:
                continue
            if ours[key] == base.get(key):
                merged[key] = theirs[key]
            elif theirs[key] != base.get(key):
                print(f"{rel}: {key} changed on both sides; kept ours: {ours[key]!r} (theirs {theirs[key]!r})")
        for key in set(base) - set(ours) - set(theirs):
            merged.pop(key, None)
        write(path, merged)
        subprocess.run(["git", "add", rel], cwd=ROOT, check=True)


def main(args):
    if args == ["--merge-conflicts"]:
        merge_conflicts()
        return
    if not args or len(args) % 3:
        sys.exit(__doc__)
    data = {lang: json.loads(path.read_text()) for lang, path in FILES.items()}
    for i in range(0, len(args), 3):
        key, zh, en = args[i : i + 3]
        data["zh"][key] = zh
        data["en"][key] = en
    for lang, path in FILES.items():
        write(path, data[lang])


main(sys.argv[1:])

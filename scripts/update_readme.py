"""Regenerates the README's generated blocks: the table of ops from the op
registry, and (with --bench FILE) the benchmark table from
`python benchmarks/bench.py --markdown > FILE`.

    python scripts/update_readme.py [--bench bench.md]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def replace_block(text: str, name: str, body: str) -> str:
    """The text with the lines between `<!-- name:start -->` and `<!-- name:end -->` set to `body`."""
    pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no <!-- {name}:start/end --> block")
    return pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), text)


def block(text: str, name: str) -> str:
    """What stands between the markers of block `name`."""
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    return match.group(1).rstrip("\n") if match else ""


def main() -> None:
    from autograd.ops import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, help="a file holding bench.py --markdown output")
    args = parser.parse_args()
    text = replace_block(README.read_text(encoding="utf-8"), "ops", markdown_table())
    if args.bench:
        text = replace_block(text, "bench", args.bench.read_text(encoding="utf-8"))
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

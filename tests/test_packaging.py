"""Installing deltagrad prints no warnings from setuptools (deprecations such as
the License classifier, or the box it prints for an editable install), and the
wheel holds the two packages and nothing else from the project's folder."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=600)


def backend_warnings(output: str) -> list[str]:
    """Lines that speak of warnings, leaving out pip's own notes about this machine's
    configured package locations ("WARNING: Location '...' is ignored")."""
    return [line for line in output.splitlines()
            if ("warning" in line.lower() or "deprecat" in line.lower()) and "is ignored" not in line]


@pytest.mark.slow
def test_building_the_wheel_prints_no_setuptools_warning_and_packages_only_autograd_and_nn(tmp_path):
    result = pip("wheel", "--no-deps", "--wheel-dir", str(tmp_path), str(ROOT))
    assert result.returncode == 0, result.stderr
    assert backend_warnings(result.stdout + result.stderr) == []
    (wheel,) = tmp_path.glob("deltagrad-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert tops == {"autograd", "nn", "deltagrad-0.1.0.dist-info"}
    metadata = zipfile.ZipFile(wheel).read("deltagrad-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata
    assert "Classifier: License ::" not in metadata


@pytest.mark.slow
def test_an_editable_install_prints_no_setuptools_warning():
    # --dry-run builds the editable metadata with the real backend (where the License
    # deprecation was printed) without touching this environment's install.
    result = pip("install", "--no-deps", "--dry-run", "-e", str(ROOT))
    assert result.returncode == 0, result.stderr
    assert backend_warnings(result.stdout + result.stderr) == []


def test_make_lab_installs_jupyterlab_and_ipywidgets_then_opens_the_notebooks():
    plan = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.splitlines()
    assert ".venv/bin/python -m pip install --quiet -e '.[lab]'" in lines
    assert any(line.startswith(".venv/bin/jupyter lab notebooks/") for line in lines)
    from importlib.metadata import requires

    lab = {r.split(";")[0].strip() for r in requires("deltagrad") if 'extra == "lab"' in r}
    assert lab == {"jupyterlab", "ipywidgets"}

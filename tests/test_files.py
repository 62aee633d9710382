"""autograd.files.write_atomically: whole or not at all, the umask's mode without
changing the umask, and a symlink stays a symlink.

The writers built on it (Module.save, render, the plots) have their own tests of
the same promises in test_nn_module.py and test_viz_output.py."""

from __future__ import annotations

import errno
import itertools
import os
import resource
import stat
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd.files import check_writable, picture_format, write_atomically

OLD, NEW = b"old bytes\n", b"new bytes\n"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def process_umask() -> int:
    """The umask as the kernel reports it, read without setting it."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    pytest.skip("this kernel's /proc/self/status has no Umask line (Linux 4.7+ has one)")


@pytest.fixture
def umask_027():
    """A known umask for the test, the old one put back after it."""
    old = os.umask(0o027)
    yield 0o027
    os.umask(old)


def in_step_with(other_thread_step, action):
    """Runs `action()` in this thread and, after every call into C that it makes
    (os.open, os.fsync, os.replace, and any os.umask), hands over to another
    thread to run `other_thread_step()` and waits for it. So the other thread
    acts at every point where a save could have changed the process's state,
    not only where the scheduler happens to switch: against the old
    `os.umask(0)` code a free-running thread making files met the window in none
    of 1,000 saves, this one in every save of a new file."""
    with ThreadPoolExecutor(max_workers=1) as other_thread:
        def profile(frame, event, arg):
            if event == "c_return":
                other_thread.submit(other_thread_step).result()

        previous = sys.getprofile()
        sys.setprofile(profile)
        try:
            action()
        finally:
            sys.setprofile(previous)


def a_few_saves(directory: Path) -> None:
    """A save of a new file, one over an existing file, one through a symlink."""
    write_atomically(directory / "new.json", lambda: NEW, "test")
    write_atomically(directory / "new.json", lambda: OLD, "test")
    (directory / "link.json").symlink_to("new.json")
    write_atomically(directory / "link.json", lambda: NEW, "test")


# ---- the umask: read by the kernel, never changed -----------------------------------------

def test_files_another_thread_creates_during_saves_get_the_umasks_mode(tmp_path, umask_027):
    # Before issue 14 the save set the umask to 0 for a moment: a file made then was 0o666.
    made = tmp_path / "made"
    made.mkdir()
    count = itertools.count()

    def create_a_file():
        os.close(os.open(made / str(next(count)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))

    saved = tmp_path / "saved"
    saved.mkdir()
    in_step_with(create_a_file, lambda: a_few_saves(saved))
    modes = [mode_of(p) for p in made.iterdir()]
    assert len(modes) > 10  # the other thread really ran during the saves
    assert set(modes) == {0o666 & ~umask_027}


def test_the_process_umask_reads_the_same_at_every_step_of_a_save(tmp_path, umask_027):
    seen = []
    in_step_with(lambda: seen.append(process_umask()), lambda: a_few_saves(tmp_path))
    assert len(seen) > 10
    assert set(seen) == {umask_027}


@settings(max_examples=30, deadline=None)
@given(mask=st.integers(0, 0o777))
def test_a_new_file_gets_0o666_less_the_umask(mask):
    old = os.umask(mask)
    try:
        with tempfile.TemporaryDirectory() as directory:
            path = write_atomically(Path(directory) / "model.json", lambda: NEW, "test")
            assert mode_of(path) == 0o666 & ~mask
    finally:
        os.umask(old)


@settings(max_examples=30, deadline=None)
@given(mode=st.integers(0, 0o777).map(lambda m: m | 0o600), mask=st.integers(0, 0o777))
def test_a_replaced_file_keeps_its_mode_whatever_the_umask(mode, mask):
    # 0o600 kept in every mode so that the test can read the file back as any user.
    old = os.umask(mask)
    try:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "model.json"
            path.write_bytes(OLD)
            path.chmod(mode)
            write_atomically(path, lambda: NEW, "test")
            assert (mode_of(path), path.read_bytes()) == (mode, NEW)
    finally:
        os.umask(old)


# ---- symlinks: the target is written, the link stays ------------------------------------

def test_saving_over_a_link_writes_its_target_in_another_directory_and_keeps_the_link(tmp_path):
    target = tmp_path / "runs" / "42" / "model.json"
    target.parent.mkdir(parents=True)
    target.write_bytes(OLD)
    link = tmp_path / "model.json"
    link.symlink_to(target)
    assert write_atomically(link, lambda: NEW, "save") == link
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == NEW
    assert files_in(target.parent) == ["model.json"]
    assert files_in(tmp_path) == ["model.json", "runs"]


def test_a_relative_link_is_followed_from_its_own_directory_not_the_working_one(tmp_path, monkeypatch):
    (tmp_path / "project" / "runs" / "42").mkdir(parents=True)
    target = tmp_path / "project" / "runs" / "42" / "model.json"
    target.write_bytes(OLD)
    link = tmp_path / "project" / "model.json"
    link.symlink_to("runs/42/model.json")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    write_atomically(link, lambda: NEW, "save")
    assert os.readlink(link) == "runs/42/model.json"
    assert target.read_bytes() == NEW
    assert files_in(tmp_path / "elsewhere") == []


def test_a_relative_link_going_up_a_directory_is_followed(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "notebooks").mkdir()
    target = tmp_path / "runs" / "model.json"
    target.write_bytes(OLD)
    link = tmp_path / "notebooks" / "model.json"
    link.symlink_to("../runs/model.json")
    write_atomically(link, lambda: NEW, "save")
    assert (os.readlink(link), target.read_bytes()) == ("../runs/model.json", NEW)


def test_a_chain_of_two_links_is_followed_to_the_file_and_both_links_stay(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    target = tmp_path / "b" / "model.json"
    target.write_bytes(OLD)
    middle = tmp_path / "a" / "latest.json"
    middle.symlink_to("../b/model.json")
    first = tmp_path / "model.json"
    first.symlink_to("a/latest.json")
    write_atomically(first, lambda: NEW, "save")
    assert (os.readlink(first), os.readlink(middle)) == ("a/latest.json", "../b/model.json")
    assert target.read_bytes() == NEW


def test_a_dangling_link_creates_its_target_with_the_umasks_mode(tmp_path, umask_027):
    (tmp_path / "runs").mkdir()
    link = tmp_path / "model.json"
    link.symlink_to("runs/model.json")
    write_atomically(link, lambda: NEW, "save")
    target = tmp_path / "runs" / "model.json"
    assert link.is_symlink() and target.read_bytes() == NEW
    assert mode_of(target) == 0o640


def test_saving_through_a_link_keeps_the_targets_mode(tmp_path, umask_027):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "model.json"
    target.write_bytes(OLD)
    target.chmod(0o604)  # a mode the umask 0o027 would never give
    link = tmp_path / "model.json"
    link.symlink_to(target)
    write_atomically(link, lambda: NEW, "save")
    assert (mode_of(target), target.read_bytes()) == (0o604, NEW)


def test_the_temporary_file_is_made_in_the_targets_directory(tmp_path):
    # os.replace cannot cross file systems: the new file must be made beside the target.
    (tmp_path / "runs").mkdir()
    link = tmp_path / "model.json"
    link.symlink_to("runs/model.json")
    during = {}

    def produce():
        during["link's directory"] = files_in(tmp_path)
        during["target's directory"] = files_in(tmp_path / "runs")
        return NEW

    write_atomically(link, produce, "save")
    assert during["link's directory"] == ["model.json", "runs"]
    [temporary] = during["target's directory"]
    assert temporary.startswith(".model.json.") and temporary.endswith(".part")


def test_a_loop_of_links_is_a_clear_error_and_nothing_is_produced(tmp_path):
    (tmp_path / "a.json").symlink_to("b.json")
    (tmp_path / "b.json").symlink_to("a.json")
    produced = []
    with pytest.raises(OSError, match=f"save: cannot write {tmp_path / 'a.json'}") as info:
        write_atomically(tmp_path / "a.json", lambda: produced.append(1) or NEW, "save")
    assert info.value.errno == errno.ELOOP
    assert produced == []
    assert files_in(tmp_path) == ["a.json", "b.json"]


def test_a_link_into_a_missing_directory_is_an_error_naming_the_link_and_its_target(tmp_path):
    link = tmp_path / "model.json"
    link.symlink_to("runs/42/model.json")
    with pytest.raises(FileNotFoundError, match=r"save: cannot write .*model.json \(a link to .*runs/42/model.json\)"):
        write_atomically(link, lambda: NEW, "save")
    assert files_in(tmp_path) == ["model.json"] and link.is_symlink()


# ---- failures leave the old file whole and no temporary file -------------------------------

def test_produce_raising_leaves_the_old_file_byte_for_byte_and_no_temporary_file(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(OLD)

    def produce():
        raise ValueError("the picture could not be drawn")

    with pytest.raises(ValueError, match="could not be drawn"):
        write_atomically(path, produce, "save")
    assert path.read_bytes() == OLD
    assert files_in(tmp_path) == ["model.json"]


def test_produce_raising_through_a_link_leaves_the_target_and_no_temporary_file(tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "model.json"
    target.write_bytes(OLD)
    (tmp_path / "model.json").symlink_to("runs/model.json")
    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "model.json", lambda: (_ for _ in ()).throw(KeyboardInterrupt), "save")
    assert target.read_bytes() == OLD
    assert files_in(tmp_path / "runs") == ["model.json"]


def test_a_write_the_file_system_refuses_part_way_leaves_the_old_file(tmp_path):
    # A real short write: the file-size limit stops the temporary file at 4 KiB of 1 MiB
    # (EFBIG; Python ignores the SIGXFSZ that comes with it).
    path = tmp_path / "model.json"
    path.write_bytes(OLD)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(OSError) as info:
            write_atomically(path, lambda: b"x" * 2**20, "save")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert info.value.errno == errno.EFBIG
    assert path.read_bytes() == OLD
    assert files_in(tmp_path) == ["model.json"]


@pytest.fixture
def unwritable_directory(tmp_path):
    """A directory holding model.json (OLD) where no new file can be made. Root
    ignores permission bits, so for root the directory is made immutable."""
    directory = tmp_path / "locked"
    directory.mkdir()
    (directory / "model.json").write_bytes(OLD)
    if os.geteuid() != 0:
        directory.chmod(0o555)
        yield directory
        directory.chmod(0o755)
        return
    locked = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, text=True)
    if locked.returncode != 0:
        pytest.skip(f"root cannot make an unwritable directory here: chattr +i: {locked.stderr.strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


def test_an_unwritable_directory_fails_before_producing_and_leaves_the_old_file(unwritable_directory):
    path = unwritable_directory / "model.json"
    produced = []
    with pytest.raises(PermissionError, match=f"save: cannot write {path}"):
        write_atomically(path, lambda: produced.append(1) or NEW, "save")
    assert produced == []
    assert path.read_bytes() == OLD
    assert files_in(unwritable_directory) == ["model.json"]


def test_a_directory_at_the_path_fails_before_producing(tmp_path):
    (tmp_path / "model.json").mkdir()
    produced = []
    with pytest.raises(IsADirectoryError, match="save: cannot write"):
        write_atomically(tmp_path / "model.json", lambda: produced.append(1) or NEW, "save")
    assert produced == []
    assert files_in(tmp_path) == ["model.json"]


# ---- check_writable and picture_format: the same answers before the work -------------------------------------

def test_check_writable_leaves_nothing_behind_and_changes_no_file(tmp_path):
    from autograd.files import check_writable

    (tmp_path / "old.png").write_bytes(OLD)
    assert check_writable(tmp_path / "new.png", "plot") == tmp_path / "new.png"
    assert check_writable(tmp_path / "old.png", "plot") == tmp_path / "old.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.png"]
    assert (tmp_path / "old.png").read_bytes() == OLD


@pytest.mark.parametrize("make, error, reason", [
    (lambda d: d / "missing" / "f.png", FileNotFoundError, "No such file or directory"),
    (lambda d: (d / "f.png").mkdir() or d / "f.png", IsADirectoryError, "Is a directory"),
])
def test_check_writable_raises_what_write_atomically_would(tmp_path, make, error, reason):
    from autograd.files import check_writable

    path = make(tmp_path)
    with pytest.raises(error) as early:
        check_writable(path, "plot")
    with pytest.raises(error) as late:
        write_atomically(path, lambda: NEW, "plot")
    assert str(early.value) == str(late.value)
    assert f"plot: cannot write {path}: {reason}" in str(early.value)


@pytest.mark.parametrize("name, fmt", [("a.svg", "svg"), ("a.PNG", "png"), ("dir.v2/a.pdf", "pdf")])
def test_picture_format_reads_the_extension(name, fmt):
    from autograd.files import picture_format

    assert picture_format(name, "plot") == fmt


@pytest.mark.parametrize("name", ["a.jpg", "a", "a.dot", "a.svg.gz"])
def test_picture_format_refuses_other_extensions_naming_the_list(name):
    from autograd.files import picture_format

    with pytest.raises(ValueError, match=r"^plot: unknown extension .* in '.*'; use one of \.svg, \.png, \.pdf$"):
        picture_format(name, "plot")


@pytest.mark.parametrize("write", [lambda: write_atomically("", lambda: b"x", "render"),
                                   lambda: picture_format("", "render"), lambda: check_writable("", "render")])
def test_an_empty_path_is_a_clear_error_not_a_busy_device(write):
    with pytest.raises(ValueError, match="render: the path is empty; give a file name"):
        write()

"""The suite's leak check catches what it is meant to and nothing else."""

from __future__ import annotations

import os
import socket
import threading

import pytest
from leaks import PROC_FDS, Snapshot, assert_nothing_leaked


def test_a_thread_started_and_still_running_is_a_leak() -> None:
    before = Snapshot.take()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="still-running", daemon=True)
    thread.start()
    try:
        with pytest.raises(AssertionError, match="still-running"):
            assert_nothing_leaked(before, timeout=0.1)
    finally:
        stop.set()
        thread.join()
    assert_nothing_leaked(before, timeout=0.1)


@pytest.mark.skipif(not os.path.isdir(PROC_FDS), reason="needs /proc/self/fd to see sockets")
def test_a_socket_left_open_is_a_leak_and_a_closed_one_is_not() -> None:
    before = Snapshot.take()
    with socket.socket() as sock:
        with pytest.raises(AssertionError, match=r"\d+ -> socket:\[\d+\]"):
            assert_nothing_leaked(before, timeout=0.1)
        assert len(before.new_descriptors()) == 1
        sock.close()
        assert_nothing_leaked(before, timeout=0.1)


@pytest.mark.skipif(not os.path.isdir(PROC_FDS), reason="needs /proc/self/fd to see pipes")
def test_any_descriptor_left_open_is_a_leak_not_only_sockets() -> None:
    before = Snapshot.take()
    read, write = os.pipe()
    try:
        with pytest.raises(AssertionError, match=r"\d+ -> pipe:\[\d+\]"):
            assert_nothing_leaked(before, timeout=0.1)
    finally:
        os.close(read)
        os.close(write)
    assert_nothing_leaked(before, timeout=0.1)


def test_what_was_there_before_and_ends_later_is_not_a_leak() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="older", daemon=True)
    thread.start()
    with socket.socket():
        before = Snapshot.take()
    stop.set()
    thread.join()
    assert_nothing_leaked(before, timeout=0.1)

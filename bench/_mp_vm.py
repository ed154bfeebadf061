"""What the MicroPython-side scripts of bench_micropython.py and bench_mp_recv_sizes.py share.

Runs on the VM (``time.ticks_us``, ``gc.mem_alloc``): the scripts import it from bench/, which
``_mp_common.run_vm`` puts on MICROPYPATH. Loops are ``while`` over small ints so that they
allocate nothing themselves.
"""

import gc
import time


def timed_recv(sock, read, buf, total):
    """``read(buf)`` until ``total`` bytes came or the peer closed, then closes ``sock``;
    (bytes, microseconds)."""
    got = 0
    t = time.ticks_us()
    while got < total:
        n = read(buf)
        if not n:
            break
        got += n
    dt = time.ticks_diff(time.ticks_us(), t)
    sock.close()
    return got, dt


def timed_send(sock, write, buf, total):
    """``write(buf)`` (a call that sends all of it) until ``total`` bytes went, then closes
    ``sock``; (bytes, microseconds)."""
    sent = 0
    size = len(buf)
    t = time.ticks_us()
    while sent < total:
        write(buf)
        sent += size
    dt = time.ticks_diff(time.ticks_us(), t)
    sock.close()
    return sent, dt


def rate(n, dt, total):
    """Bytes per microsecond (= MB/s) of a transfer; 0.0 for one that stopped short."""
    return n / dt if n >= total and dt > 0 else 0.0


def heap_per_object(make, n):
    """What ``n`` live sockets from ``make()`` keep on the heap, each (collected before and
    after: no garbage counted); closes them."""
    socks = [None] * n
    gc.collect()
    before = gc.mem_alloc()
    i = 0
    while i < n:
        socks[i] = make()
        i += 1
    gc.collect()
    after = gc.mem_alloc()
    for s in socks:
        s.close()
    return (after - before) / n


def heap_per_read(read, buf, nbytes=8, calls=1000):
    """Heap bytes one ``read(buf, nbytes)`` (a ready socket's ``recv_into`` or ``readinto``)
    allocates, over ``calls`` calls with the collector off."""
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    i = 0
    while i < calls:
        read(buf, nbytes)
        i += 1
    after = gc.mem_alloc()
    gc.enable()
    return (after - before) / calls

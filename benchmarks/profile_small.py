"""Where dimsewire's time goes for one small message: a breakdown by stage, in microseconds.

Run: python benchmarks/profile_small.py [MESSAGE ...] [--number N]

MESSAGE is a bench_codec small message (C-FIND-RQ, C-FIND-RSP, C-STORE-RQ, C-ECHO-RQ,
N-ACTION-RQ; default all). Each stage is timed on its own, as bench_codec times a whole
call (the best of 7 batches of N calls, the garbage collector off), and printed beside
the whole encode (primitive built) and decode, and the struct floor. The stages call
dimsewire's internal functions (codec.messages, primitives.base):
a diagnostic that follows the code as it is, to be updated when the code changes. What
is left of a whole call after its stages (framing, argument checks, glue) is shown as
the remainder. Per-stage times do not add up exactly: each runs hot and alone, and each
includes about 0.05 us for the lambda (and, for a setter, the setattr call) driving it.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_codec  # noqa: E402
from struct_floor import DECODERS, ENCODERS  # noqa: E402

import dimsewire  # noqa: E402
from dimsewire import decode_message, encode_message  # noqa: E402
from dimsewire.codec import messages  # noqa: E402
from dimsewire.primitives.base import _data_set_problems  # noqa: E402

MAX_PDU = bench_codec.MAX_PDU


def _us(func: Callable[[], object], number: int) -> float:
    func()
    return min(timeit.repeat(func, number=number, repeat=7)) / number * 1e6


def _line(label: str, value: float, whole: float) -> None:
    print(f"  {label:58} {value:6.2f} us  {value / whole * 100:5.1f}%")


def encode_breakdown(small: bench_codec.Small, number: int) -> None:
    build, args = small.build, small.args
    whole = _us(lambda: list(encode_message(build(dimsewire, *args), 1, MAX_PDU)), number)
    floor = _us(lambda: ENCODERS[small.message](*args, 1), number)
    print(f"encode {small.label}: {whole:.2f} us, floor {floor:.2f} us ({whole / floor:.1f}x)")
    prim = build(dimsewire, *args)
    message = messages.message_for(prim)
    cls = type(prim)
    built = _us(lambda: build(dimsewire, *args), number)
    _line("build the primitive", built, whole)
    _line(f"  {cls.__name__}() (generated __init__)", _us(cls, number), whole)
    for keyword, value in zip(_parameters(small), args, strict=True):
        if isinstance(value, bytes):
            _line("  BytesIO(data set)", _us(lambda v=value: BytesIO(v), number), whole)
            value = BytesIO(value)  # noqa: PLW2901
            label = f"  .{keyword} = BytesIO"
        else:
            label = f"  .{keyword} = {value!r}"
        _line(label, _us(lambda k=keyword, v=value: setattr(prim, k, v), number), whole)
    fresh = lambda: messages.from_primitive(build(dimsewire, *args))  # noqa: E731
    from_primitive = _us(fresh, number) - built
    _line("from_primitive (generated sender; fresh primitive each call)", from_primitive, whole)
    problems = prim.response_problems if message.is_response else prim.request_problems
    _line(f"  {problems.__name__}", _us(problems, number), whole)
    parameter = message.data_set_parameter
    if parameter is not None:
        # a BytesIO just wrapped around bytes: getbuffer() must unshare (copy) it
        data = args[-1]
        _line(
            "    _data_set_problems",
            _us(lambda: _data_set_problems(BytesIO(data), parameter), number)
            - _us(lambda: BytesIO(data), number),
            whole,
        )
    if message.is_response:
        _line("    status_problems (cached)", _us(prim.status_problems, number), whole)
    encoder = messages.generated_encoder(message)
    elements = _us(lambda: encoder(prim, parameter is not None), number)
    _line("  the message's generated command set encoder", elements, whole)
    _line(
        "encode_message after from_primitive (argument checks, PDUs)",
        whole - built - from_primitive,
        whole,
    )
    print()


def decode_breakdown(small: bench_codec.Small, number: int) -> None:
    build, args = small.build, small.args
    pdus = list(encode_message(build(dimsewire, *args), 1, MAX_PDU))
    whole = _us(lambda: decode_message(pdus), number)
    floor = _us(lambda: DECODERS[small.message](pdus), number)
    print(f"decode {small.label}: {whole:.2f} us, floor {floor:.2f} us ({whole / floor:.1f}x)")
    raw = pdus[0][12:]
    data = pdus[1][12:] if len(pdus) > 1 else None
    shaped = messages.decode_shaped(raw, 1)  # timed below with its layout learnt
    assert shaped is not None, "decode_message learns the layout"
    prim = shaped[0]
    message = messages.message_for(prim)
    stages = {
        "slice the command set out of its PDU": _us(lambda: pdus[0][12:], number),
        "decode_shaped (learnt layout: unpack, lookup, primitive)": _us(
            lambda: messages.decode_shaped(raw, 1), number
        ),
    }
    if data is not None:
        stages["slice the data set, BytesIO around it"] = _us(lambda: BytesIO(pdus[1][12:]), number)
        wrapped = BytesIO(data)
        stages["attach_data_set (data set, status rules)"] = _us(
            lambda: messages.attach_data_set(prim, wrapped), number
        )
    else:
        stages["attach_data_set (data set, status rules)"] = _us(
            lambda: messages.attach_data_set(prim, None), number
        )
    if message.is_response:
        stages["  of which status_problems (cached)"] = _us(prim.status_problems, number)
    for label, value in stages.items():
        _line(label, value, whole)
    counted = sum(v for k, v in stages.items() if not k.startswith("  "))
    _line("decode_message's framing and glue (the remainder)", whole - counted, whole)
    print()


def _parameters(small: bench_codec.Small) -> list[str]:
    pdus = ENCODERS[small.message](*small.args, 1)
    return list(DECODERS[small.message](pdus))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("messages", nargs="*", help="e.g. C-FIND-RQ (default: all)")
    parser.add_argument("--number", type=int, default=20_000, help="calls per batch")
    args = parser.parse_args(argv)
    for small in bench_codec.small_messages():
        if not args.messages or small.message in args.messages:
            encode_breakdown(small, args.number)
            decode_breakdown(small, args.number)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

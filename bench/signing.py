"""Benchmark: signed results per second per core, verifications per second, result templates rendered per second.

A real demo PKI is created and served by ``motcua pki_serve`` (OCSP, CRL and the RFC 3161 timestamp authority, a
separate process, as in ``make run``). One process then signs results the way ``issue_result`` does: the leader's
visible signature (image, name, time) and the agency's red seal as a second signature, each timestamped, with the
signer's certificate checked first (chain, validity, revocation) — with the keys kept loaded, from PKCS#12 files
and from a SoftHSM2 token (PKCS#11). It prints, for each:

- results per wall-clock second and per CPU second of the signing process ("per core": the PKI server's own work
  runs in its process, on the other core);
- the ratio to a bare RSA-2048 signature with ``cryptography`` (the floor: what a signature costs at all);
- where the time goes: the top of a cProfile of the same loop, grouped by library;

then verifications per second (``verify_pdf``: both signatures, timestamps, revocation at signing) and template
renderings per second (``catalog.result_templates.render_pdf``: Jinja2 + WeasyPrint).

    .venv/bin/python bench/signing.py [--results 200] [--smoke]

Not a timed test: figures for the closing note. ``--smoke``: 5 of each (make test). No database is written.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # this checkout's code (and tests/pki.py, tests/tokens.py)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
os.environ.setdefault("SECRET_KEY", "bench-signing")


def rate(count: int, run: Callable[[int], Any]) -> tuple[float, float, list[float]]:
    """``run(i)`` ``count`` times: (per wall second, per CPU second of this process, each call's seconds)."""
    each = []
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        started = time.perf_counter()
        run(i)
        each.append(time.perf_counter() - started)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return count / wall, count / max(cpu, 1e-9), each


def where_time_goes(count: int, run: Callable[[int], Any]) -> list[tuple[str, float]]:
    """The share of the loop's time spent in each library (by the innermost frame: own time)."""
    profile = cProfile.Profile()
    profile.enable()
    for i in range(count):
        run(i)
    profile.disable()
    stats = pstats.Stats(profile)
    by_library: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        total += own
        by_library[_library(filename)] += own
    return sorted(((name, seconds / total) for name, seconds in by_library.items()), key=lambda r: -r[1])[:8]


def _library(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/motcua/" in filename:
        return "motcua"
    if filename == "~":
        return "C built-ins (RSA, hashing, zlib…)"
    if filename.startswith("<") or "/lib/python3" in filename:
        return "python (socket, ssl, zlib, …)" if "socket" in filename or "ssl" in filename else "python"
    return filename


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=200, help="signed results per key store (200)")
    parser.add_argument("--smoke", action="store_true", help="5 of each: does it run (make test)")
    args = parser.parse_args()
    count = 5 if args.smoke else args.results

    import django

    django.setup()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from django.test.utils import override_settings
    from tests.factories import pdf_bytes
    from tests.pki import DEMO_PIN, start_demo_pki
    from tests.tokens import softhsm_available

    from motcua.catalog.result_fields import sample_values
    from motcua.catalog.result_templates import render_pdf, sample_heading
    from motcua.signing.models import Purpose, SigningIdentity
    from motcua.signing.services import forget_signers, sign_pdf, verify_pdf

    with tempfile.TemporaryDirectory() as tmp:
        print(f"== bench/signing.py: {count} signed results per key store, on {os.cpu_count()} cores ==")
        pki = start_demo_pki(Path(tmp) / "pki")
        try:
            with override_settings(**pki.settings()):
                forget_signers()
                leader = pki.identity("lanhdao", save=False)
                seal = pki.identity("ubnd-haiha", purpose=Purpose.SEAL, save=False)
                document = pdf_bytes("Giấy phép xây dựng số …/2026/GP")

                # the floor: a bare RSA-2048 signature of a SHA-256 digest, the key loaded
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                floor_count = max(200, count * 20)
                floor, floor_cpu, _ = rate(floor_count, lambda i: key.sign(
                    i.to_bytes(8, "big"), padding.PKCS1v15(), hashes.SHA256()))
                print(f"bare RSA-2048 signature (cryptography): {floor:,.0f}/s wall, {floor_cpu:,.0f}/s per core")

                stores: list[tuple[str, SigningIdentity, str]] = [("PKCS#12 file", leader, DEMO_PIN)]
                why_not = softhsm_available()
                if why_not:
                    print(f"SoftHSM2 (PKCS#11): skipped — {why_not}")
                else:
                    stores.append(("PKCS#11 token (SoftHSM2)", _token_identity(Path(tmp), pki, leader), "1234"))

                signed = b""
                for name, identity, pin in stores:
                    def one(i: int, identity: SigningIdentity = identity, pin: str = pin) -> bytes:
                        return sign_pdf(document, signer=identity, pin=pin, seal=seal, reason="Ban hành kết quả")

                    signed = one(0)  # warm: keys loaded, certificates checked, signature room learnt
                    wall, per_core, each = rate(count, one)
                    print(f"{name}: signature + seal + 2 timestamps: {wall:.1f} results/s wall, "
                          f"{per_core:.1f}/s per core (p50 {statistics.median(each) * 1000:.1f} ms); "
                          f"bare RSA-2048 is {floor_cpu / per_core:,.0f}× faster per core")
                    shares = where_time_goes(min(count, 40), one)
                    print("  where the time goes: " + ", ".join(f"{lib} {share:.0%}" for lib, share in shares))

                check = verify_pdf(signed)
                assert check.valid and len(check.signatures) == 2, check
                wall, per_core, each = rate(count, lambda i: verify_pdf(signed))
                print(f"verification (2 signatures, timestamps, revocation): {wall:.1f}/s wall, "
                      f"{per_core:.1f}/s per core (p50 {statistics.median(each) * 1000:.1f} ms)")

                body = ("<h1>GIẤY PHÉP XÂY DỰNG</h1><p>Cấp cho: {{ applicant.name }}, {{ applicant.address }}</p>"
                        "<p>Hồ sơ {{ dossier.code }}, thủ tục {{ procedure.name }}.</p>")
                context = sample_values([])
                heading = sample_heading()
                rendered = render_pdf(body, context, heading=heading)
                assert rendered.startswith(b"%PDF-")
                wall, per_core, each = rate(count, lambda i: render_pdf(body, context, heading=heading))
                print(f"result template rendered to PDF (Jinja2 + WeasyPrint): {wall:.1f}/s wall, "
                      f"{per_core:.1f}/s per core (p50 {statistics.median(each) * 1000:.1f} ms)")
        finally:
            pki.stop()


def _token_identity(tmp: Path, pki: Any, leader: Any) -> Any:
    """The demo leader's key and certificate (and the agency CA's) provisioned on a fresh SoftHSM2 token."""
    import subprocess

    from cryptography.hazmat.primitives.serialization import Encoding
    from tests.tokens import SOFTHSM_MODULE, SoftToken, put_demo_signer

    from motcua.signing.backends.pkcs11 import reload_pkcs11_module
    from motcua.signing.models import Purpose, SigningIdentity
    from motcua.signing.services import describe_certificate

    directory = tmp / "softhsm"
    (directory / "tokens").mkdir(parents=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "motcua-bench", "--pin", "1234",  # noqa: S607
                    "--so-pin", "5678"], env={**os.environ, "SOFTHSM2_CONF": str(conf)}, check=True,
                   capture_output=True)
    os.environ["SOFTHSM2_CONF"] = str(conf)
    reload_pkcs11_module(SOFTHSM_MODULE)
    token = SoftToken(SOFTHSM_MODULE, conf, "motcua-bench", "1234", "lanhdao")
    cert = put_demo_signer(token, pki)
    return SigningIdentity(purpose=Purpose.PERSONAL, backend="pkcs11", image=leader.image,
                           reference=token.reference(key_label="lanhdao", cert_label="lanhdao"),
                           **describe_certificate(cert.public_bytes(Encoding.DER)))


if __name__ == "__main__":
    main()

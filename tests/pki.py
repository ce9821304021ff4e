"""A real demo PKI for tests: certificates as PKCS#12 files, and ``motcua pki_serve`` (OCSP, CRL, timestamp
authority) as a separate process on a free port. The ``demo_pki`` session fixture (conftest.py) uses it.

    def test_x(demo_pki, db):
        leader = demo_pki.identity("lanhdao")            # a SigningIdentity row for the demo signer
        seal = demo_pki.identity("so-tp", purpose="seal")
        signed = sign_pdf(pdf, signer=leader, pin=DEMO_PIN, seal=seal)

Also ``pdfsig(data)``: poppler's verdict on a PDF, with the demo root trusted (a temporary NSS database).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from motcua.signing.images import draw_seal, draw_signature
from motcua.signing.models import Purpose, SigningIdentity
from motcua.signing.pki import (
    DEMO_PIN,
    SYSTEM_LABEL,
    DemoAgency,
    DemoSigner,
    create_demo_pki,
    p12_path,
    tsa_path,
)
from motcua.signing.services import describe_certificate

SIGNERS = [DemoSigner("lanhdao", "Nguyễn Văn Lãnh", "UBND huyện Hải Hà"),
           DemoSigner("vanthu", "Trần Thị Thư", "UBND huyện Hải Hà")]
AGENCIES = [DemoAgency("ubnd-haiha", "UBND huyện Hải Hà")]
__all__ = ["DEMO_PIN", "DemoPki", "free_port", "pdfsig", "start_demo_pki"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class DemoPki:
    directory: Path
    url: str
    process: subprocess.Popen[bytes] | None = None
    images: dict[str, Path] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.directory / "root.pem"

    @property
    def tsa_url(self) -> str:
        return self.url + tsa_path()

    def p12(self, label: str) -> Path:
        return p12_path(self.directory, label)

    def settings(self) -> dict[str, Any]:
        """The settings that point MotCua at this PKI."""
        return {"MOTCUA_PKI_DIR": self.directory, "MOTCUA_PKI_URL": self.url, "MOTCUA_TSA_URL": self.tsa_url,
                "MOTCUA_TRUST_ROOTS": [str(self.root)], "MOTCUA_SEAL_PIN": DEMO_PIN,
                "MOTCUA_SYSTEM_SEAL_PIN": DEMO_PIN}

    def identity(self, label: str, *, purpose: str = Purpose.PERSONAL, user: Any = None, agency: Any = None,
                 save: bool = True) -> SigningIdentity:
        """A SigningIdentity for the demo certificate ``label`` (saved unless ``save`` is false)."""
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs12  # noqa: PLC0415 - here only

        _key, cert, _chain = pkcs12.load_key_and_certificates(self.p12(label).read_bytes(), DEMO_PIN.encode())
        assert cert is not None
        identity = SigningIdentity(purpose=purpose, user=user, agency=agency, backend="pkcs12",
                                   reference={"path": str(self.p12(label))},
                                   image=str(self.images.get(label, "")),
                                   **describe_certificate(cert.public_bytes(Encoding.DER)))
        if save:
            identity.save()
        return identity

    def system_seal(self) -> SigningIdentity:
        return self.identity(SYSTEM_LABEL, purpose=Purpose.SYSTEM)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_demo_pki(directory: Path, *, port: int | None = None) -> DemoPki:
    """Create the demo PKI in ``directory`` and serve it with ``motcua pki_serve`` on ``port`` (a free one)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    create_demo_pki(directory, url, signers=SIGNERS, agencies=AGENCIES)
    pki = DemoPki(directory=directory, url=url)
    for signer in SIGNERS:
        pki.images[signer.label] = draw_signature(signer.name, directory / "images" / f"{signer.label}.png")
    for agency in [*AGENCIES, DemoAgency(SYSTEM_LABEL, "MotCua")]:
        pki.images[agency.label] = draw_seal(agency.name, directory / "images" / f"{agency.label}.png")
    env = {**os.environ, "MOTCUA_PKI_DIR": str(directory), "MOTCUA_PKI_URL": url,
           "DATABASE_URL": "sqlite://:memory:"}
    pki.process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "motcua.cli", "pki_serve", "--bind", f"127.0.0.1:{port}", "--dir", str(directory)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/motcua/crls/agency-ca/latest.crl", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return pki
        except OSError:
            pass
        if pki.process.poll() is not None or time.monotonic() > deadline:
            pki.stop()
            raise RuntimeError(f"motcua pki_serve did not start on {url}")
        time.sleep(0.2)


@dataclass(frozen=True)
class PdfsigResult:
    output: str
    valid: list[bool]  # per signature: "Signature is Valid."
    certificate: list[str]  # per signature: what "Certificate Validation:" says


def pdfsig(data: bytes, root: Path) -> PdfsigResult:
    """Poppler's ``pdfsig`` on ``data``, with ``root`` trusted through a temporary NSS database."""
    with tempfile.TemporaryDirectory() as tmp:
        nss = Path(tmp) / "nss"
        nss.mkdir()
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True,  # noqa: S607
                       capture_output=True)
        subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "motcua-demo-root", "-t", "CT,C,C",  # noqa: S607
                        "-i", str(root)], check=True, capture_output=True)
        pdf = Path(tmp) / "file.pdf"
        pdf.write_bytes(data)
        run = subprocess.run([shutil.which("pdfsig") or "pdfsig", "-nssdir", f"sql:{nss}", str(pdf)],  # noqa: S603
                             capture_output=True, text=True, check=False)
    output = run.stdout + run.stderr
    valid, certificate = [], []
    for block in output.split("Signature #")[1:]:
        valid.append("Signature Validation: Signature is Valid." in block)
        line = next((ln for ln in block.splitlines() if "Certificate Validation:" in ln), "")
        certificate.append(line.partition("Certificate Validation:")[2].strip())
    return PdfsigResult(output=output, valid=valid, certificate=certificate)

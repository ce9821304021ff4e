"""Signing devices and services as real processes, for the tests and the benchmarks: a small test PKI (certomancer),
a SoftHSM2 token holding a key and its certificate, and a Cloud Signature Consortium (CSC) server
(certomancer-csc-dummy) on a free local port.

``python -m tests.tokens csc CONFIG PORT PIN TOKEN`` runs the CSC dummy server with what its README says it omits
(a PIN checked by ``credentials/authorize`` and a bearer token on every call), so that a wrong PIN and a wrong
token can be tested; everything else is certomancer-csc-dummy's own code.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509
from certomancer import registry
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyhanko.pdf_utils import generic, writer
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from motcua.signing.backends.pkcs11 import reload_pkcs11_module

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
ARCH = "motcua-test"
TOKEN_LABEL = "motcua-test"
USER_PIN = "1234"
SO_PIN = "5678"
KEY_LABEL = "signer"
CSC_PIN = "246810"
CSC_BEARER = "test-oauth-token"  # noqa: S105 - the test server's, nothing else's

_CONFIG = """\
external-url-prefix: "http://127.0.0.1:9"
keysets:
  {arch}:
    keys:
      root:
        path: root.key.pem
      signer:
        path: signer.key.pem
      seal:
        path: seal.key.pem
pki-architectures:
  {arch}:
    keyset: {arch}
    entity-defaults:
      country-name: VN
      organization-name: MotCua test PKI
    entities:
      root:
        common-name: MotCua Test Root CA
      signer:
        common-name: Nguyen Van Lanh Dao
      seal:
        common-name: UBND tinh Quang Ninh (test seal)
    certs:
      root:
        subject: root
        issuer: root
        validity: &validity
          valid-from: "2020-01-01T00:00:00+0000"
          valid-to: "2100-01-01T00:00:00+0000"
        extensions:
          - id: basic_constraints
            critical: true
            value:
              ca: true
          - id: key_usage
            critical: true
            smart-value:
              schema: key-usage
              params: [digital_signature, key_cert_sign, crl_sign]
      signer:
        subject: signer
        issuer: root
        validity: *validity
        extensions: &leaf
          - id: key_usage
            critical: true
            smart-value:
              schema: key-usage
              params: [digital_signature, non_repudiation]
      seal:
        subject: seal
        issuer: root
        validity: *validity
        extensions: *leaf
"""


@dataclass(frozen=True)
class SigningPKI:
    """A root and two leaf certificates (``signer``, ``seal``) with their RSA-2048 keys, as a certomancer config
    (which the CSC server reads) and as objects."""

    directory: Path
    config: Path
    root: x509.Certificate
    signer: x509.Certificate
    seal: x509.Certificate

    def key_der(self, label: str) -> bytes:
        """The PKCS#8 DER of a leaf's private key."""
        pem = (self.directory / f"{label}.key.pem").read_bytes()
        key = serialization.load_pem_private_key(pem, password=None)
        return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    def pem(self, label: str) -> str:
        cert: x509.Certificate = getattr(self, label)
        body = base64.encodebytes(cert.dump()).decode()
        return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"


def make_test_pki(directory: Path) -> SigningPKI:
    directory.mkdir(parents=True, exist_ok=True)
    for label in ("root", "signer", "seal"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (directory / f"{label}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    config = directory / "certomancer.yml"
    config.write_text(_CONFIG.format(arch=ARCH))
    arch = registry.CertomancerConfig.from_file(str(config)).get_pki_arch(registry.ArchLabel(ARCH))
    certs = {label: arch.get_cert(registry.CertLabel(label)) for label in ("root", "signer", "seal")}
    return SigningPKI(directory, config, **certs)


def blank_pdf(text: str = "MotCua test result") -> bytes:
    """A one-page A4 PDF to sign."""
    pdf = writer.PdfFileWriter()
    content = pdf.add_object(generic.StreamObject(stream_data=f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode()))
    font = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
    })
    resources = generic.DictionaryObject({generic.NameObject("/Font"): generic.DictionaryObject(
        {generic.NameObject("/F1"): pdf.add_object(font)})})
    pdf.insert_page(writer.PageObject(contents=content, media_box=generic.ArrayObject(
        [generic.NumberObject(n) for n in (0, 0, 595, 842)]), resources=resources))
    out = io.BytesIO()
    pdf.write(out)
    return out.getvalue()


def check_signed(pdf: bytes, signer: x509.Certificate, root: x509.Certificate) -> None:
    """Both validators agree that the PDF's last signature is intact and made by ``signer`` (pyHanko: with
    ``root`` trusted; poppler's pdfsig: "Signature is Valid")."""
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[-1]
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.signing_cert.dump() == signer.dump()
    assert pdfsig(pdf).count("Signature is Valid.") == len(PdfFileReader(io.BytesIO(pdf)).embedded_signatures)


def pdfsig(pdf: bytes) -> str:
    """poppler's report on the PDF's signatures."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        return subprocess.run(["pdfsig", file.name], capture_output=True, text=True, check=False).stdout


# --- SoftHSM2 ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SoftToken:
    """A SoftHSM2 token with the PKI's ``signer`` key and certificate (CKA_LABEL ``signer``, CKA_ID 01)."""

    module: str
    conf: Path
    label: str
    pin: str
    key_label: str

    def reference(self, **changes: Any) -> dict[str, Any]:
        return {"module": self.module, "token_label": self.label, "key_label": self.key_label,
                "cert_label": self.key_label, **changes}


def softhsm_available() -> str:
    """Why SoftHSM2 cannot be used here ("" when it can)."""
    missing = [tool for tool in ("softhsm2-util", "pkcs11-tool") if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not installed (apt packages softhsm2 and opensc)"
    if not Path(SOFTHSM_MODULE).exists():
        return f"{SOFTHSM_MODULE} missing (apt package softhsm2)"
    return ""


def make_softhsm_token(directory: Path, pki: SigningPKI) -> SoftToken:
    """Create a token under ``directory`` and point this process at it: SOFTHSM2_CONF, which SoftHSM2 reads when it
    is initialised, so the library is initialised again if this process had already loaded it."""
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", USER_PIN,
                    "--so-pin", SO_PIN], env=env, check=True, capture_output=True)
    token = SoftToken(SOFTHSM_MODULE, conf, TOKEN_LABEL, USER_PIN, KEY_LABEL)
    write_to_token(token, "privkey", pki.key_der("signer"), KEY_LABEL, "01")
    write_to_token(token, "cert", pki.signer.dump(), KEY_LABEL, "01")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    reload_pkcs11_module(SOFTHSM_MODULE)
    return token


def write_to_token(token: SoftToken, kind: str, der: bytes, label: str, object_id: str) -> None:
    """Put a private key (``privkey``, PKCS#8 DER) or a certificate (``cert``, DER) on the token with pkcs11-tool,
    as an administrator provisioning a token would."""
    with tempfile.NamedTemporaryFile(suffix=".der") as file:
        file.write(der)
        file.flush()
        subprocess.run(["pkcs11-tool", "--module", token.module, "--token-label", token.label, "--login", "--pin",
                        token.pin, "--write-object", file.name, "--type", kind, "--id", object_id, "--label", label],
                       env={**os.environ, "SOFTHSM2_CONF": str(token.conf)}, check=True, capture_output=True)


def put_demo_signer(token: SoftToken, pki: Any, label: str = "lanhdao", object_id: str = "02") -> Any:
    """The demo PKI's ``label`` key and certificate, and the agency CA's certificate, provisioned on ``token`` (as an
    administrator would load a leader's key onto their token); returns the signer's certificate (cryptography)."""
    from cryptography import x509 as cx509  # noqa: PLC0415 - only here
    from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: PLC0415

    from tests.pki import DEMO_PIN  # noqa: PLC0415 - tests.pki imports the signing app's demo PKI

    key, cert, _chain = pkcs12.load_key_and_certificates(pki.p12(label).read_bytes(), DEMO_PIN.encode())
    assert key is not None and cert is not None
    der = serialization.Encoding.DER
    write_to_token(token, "privkey", key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()), label, object_id)
    write_to_token(token, "cert", cert.public_bytes(der), label, object_id)
    agency_ca = cx509.load_pem_x509_certificate((pki.directory / "agency-ca.pem").read_bytes())
    write_to_token(token, "cert", agency_ca.public_bytes(der), "agency-ca", "03")
    return cert


# --- the CSC server --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class CSCServer:
    url: str
    pin: str
    bearer: str
    process: subprocess.Popen[bytes]
    arch: str = ARCH

    def credential(self, label: str = "signer") -> str:
        """The CSC credential of a certificate of the certomancer configuration: ``<arch>/<cert label>``."""
        return f"{self.arch}/{label}"

    def reference(self, label: str = "signer", **changes: Any) -> dict[str, Any]:
        """A ``SigningIdentity.reference`` for that credential."""
        return {"url": self.url, "credential_id": self.credential(label), "oauth_token": self.bearer, **changes}


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the CSC server exited: {process.stdout.read().decode() if process.stdout else ''}")
        try:
            with socket.create_connection(("localhost", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the CSC server did not listen on port {port} in {timeout} s")


@contextmanager
def csc_server(config: Path, *, arch: str = ARCH, checked: bool = True, scal: int = 2) -> Iterator[CSCServer]:
    """certomancer-csc-dummy on a free port, as its own process: ``checked`` adds the PIN and bearer-token checks
    (``python -m tests.tokens csc``), otherwise the unmodified ``certomancer-csc`` command; ``scal`` 2 binds the
    authorisation to the document's hash (the CSC "SCAL2" mode that remote signing of qualified signatures uses).
    ``config`` is a certomancer configuration (``SigningPKI.config``, or the demo PKI's ``certomancer.yml`` with
    ``arch="motcua"``); its keys sit beside it."""
    port = free_port()
    if checked:
        command = [sys.executable, "-m", "tests.tokens", "csc", str(config), str(port), CSC_PIN, CSC_BEARER,
                   str(scal)]
    else:
        command = [str(Path(sys.executable).with_name("certomancer-csc")), str(config), str(port), str(scal)]
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process)
        yield CSCServer(f"http://localhost:{port}", CSC_PIN if checked else "", CSC_BEARER if checked else "",
                        process, arch)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _serve_csc(config: str, port: int, pin: str, bearer: str, scal: int) -> None:
    """The dummy server, plus a PIN and a bearer token (imported here: the fixtures above do not need aiohttp)."""
    from aiohttp import web
    from csc_dummy.csc_dummy_server import CSCWithCertomancer, DummyServiceParams

    def refuse(status: int, error: str, description: str) -> web.Response:
        return web.json_response({"error": error, "error_description": description}, status=status)

    @web.middleware
    async def bearer_token(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/csc/") and request.headers.get("Authorization") != f"Bearer {bearer}":
            return refuse(401, "invalid_token", "The access token is not valid")
        return await handler(request)

    class WithPin(CSCWithCertomancer):
        async def credentials_authorize(self, request: web.Request) -> web.StreamResponse:
            params = await request.json()
            if params.get("PIN") != pin:
                return refuse(400, "invalid_pin", "The PIN is invalid")
            return await super().credentials_authorize(request)

    server = WithPin(registry.CertomancerConfig.from_file(config, key_search_dir=str(Path(config).parent)),
                     service_params=DummyServiceParams(hash_pinning_required=scal >= 2))
    server.app.middlewares.append(bearer_token)
    server.register_routes()
    web.run_app(server.app, host="localhost", port=port, print=None)


if __name__ == "__main__":
    if sys.argv[1] == "csc":
        _serve_csc(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]))

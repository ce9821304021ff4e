"""The demo public-key infrastructure: a root, an agency CA, a certificate per demo signer and per agency seal,
the system's seal, a timestamp authority, CRLs and OCSP — all marked SPECIMEN.

:func:`create_demo_pki` writes into one directory:

- ``keys/<label>.key.pem``: the private keys certomancer needs to issue certificates, CRLs, OCSP and timestamps;
- ``p12/<label>.p12``: each signer's key and certificate chain as a PKCS#12 file, passphrase :data:`DEMO_PIN`;
- ``root.pem``: the trust root (``MOTCUA_TRUST_ROOTS``);
- ``certomancer.yml``: certomancer's configuration, which ``motcua pki_serve`` serves (OCSP, CRL, TSA);
- ``manifest.json``: what was created (labels, kinds, files), read back by :func:`read_manifest`.

Certomancer derives every certificate from the configuration and the keys (RSA PKCS#1 v1.5 signatures are
deterministic), so the server and the PKCS#12 files agree without sharing anything else. Validity periods are
absolute dates counted from the first creation (kept in the manifest): creating again with more signers gives
the same certificates to those already there.
"""

from __future__ import annotations

import json
import re
from base64 import encodebytes
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEMO_PIN = "123456"  # noqa: S105 - the demo PKI's passphrase, printed on screen on purpose
ARCH = "motcua"
TSA_LABEL = "tsa"
SYSTEM_LABEL = "system-seal"
TEST_LABELS = ("expired", "not-yet-valid", "revoked")  # certificates that must be refused
LABEL = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class DemoSigner:
    """A person who signs (a leader, a signer): ``label`` names the files (the username, lower case)."""

    label: str
    name: str
    organization: str = ""
    email: str = ""


@dataclass(frozen=True)
class DemoAgency:
    """An agency whose seal is a certificate of its own."""

    label: str
    name: str


def tsa_path() -> str:
    """The timestamp authority's path on the PKI server."""
    return f"/{ARCH}/tsa/{TSA_LABEL}"


def label_for(text: str) -> str:
    """A label certomancer and file names accept, from a username or an agency code."""
    label = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-.") or "x"
    return label[:63]


def _key(directory: Path, label: str) -> None:
    path = directory / "keys" / f"{label}.key.pem"
    if path.exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _validity(start: datetime, end: datetime) -> dict[str, str]:
    return {"valid-from": _when(start), "valid-to": _when(end)}


def _config(base_url: str, epoch: datetime, signers: list[DemoSigner],
            agencies: list[DemoAgency]) -> dict[str, Any]:
    """Certomancer's configuration for the whole demo PKI."""
    labels = ["root", "agency-ca", "agency-ca-ocsp", TSA_LABEL, SYSTEM_LABEL, *TEST_LABELS]
    labels += [s.label for s in signers] + [a.label for a in agencies]
    long = _validity(epoch - timedelta(days=365), epoch + timedelta(days=365 * 30))
    entities: dict[str, dict[str, str]] = {
        "root": {"common-name": "MotCua Demo Root CA (SPECIMEN)"},
        "agency-ca": {"common-name": "MotCua Demo Agency CA (SPECIMEN)"},
        "agency-ca-ocsp": {"common-name": "MotCua Demo OCSP Responder (SPECIMEN)"},
        TSA_LABEL: {"common-name": "MotCua Demo Timestamp Authority (SPECIMEN)"},
        SYSTEM_LABEL: {"common-name": "MotCua System Seal (SPECIMEN)"},
        "expired": {"common-name": "Expired Signer (SPECIMEN)"},
        "not-yet-valid": {"common-name": "Future Signer (SPECIMEN)"},
        "revoked": {"common-name": "Revoked Signer (SPECIMEN)"},
    }
    for signer in signers:
        entity = {"common-name": signer.name}
        if signer.organization:
            entity["organization-name"] = signer.organization
        if signer.email:
            entity["email-address"] = signer.email
        entities[signer.label] = entity
    for agency in agencies:
        entities[agency.label] = {"common-name": agency.name, "organization-name": agency.name}
    end_entity = {"issuer": "agency-ca", "validity": long, "profiles": ["digsig-commitment"]}
    certs: dict[str, dict[str, Any]] = {
        "root": {
            "subject": "root", "issuer": "root", "authority-key": "root",
            "validity": _validity(epoch - timedelta(days=3650), epoch + timedelta(days=365 * 50)),
            "profiles": [{"id": "simple-ca", "params": {"crl-repo": "root"}}],
        },
        "agency-ca": {
            "issuer": "root", "validity": _validity(epoch - timedelta(days=3650), epoch + timedelta(days=365 * 40)),
            "profiles": [{"id": "simple-ca", "params": {"max-path-len": 0, "crl-repo": "agency-ca",
                                                        "ocsp-service": "agency-ca"}}],
        },
        "agency-ca-ocsp": {"issuer": "agency-ca", "validity": long, "profiles": ["ocsp-responder"]},
        TSA_LABEL: {
            "issuer": "root", "validity": long,
            "extensions": [
                {"id": "key_usage", "critical": True,
                 "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}},
                {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
            ],
        },
        SYSTEM_LABEL: dict(end_entity),
        "expired": {**end_entity,
                    "validity": _validity(epoch - timedelta(days=730), epoch - timedelta(days=365))},
        "not-yet-valid": {**end_entity,
                          "validity": _validity(epoch + timedelta(days=365 * 20), epoch + timedelta(days=365 * 21))},
        "revoked": {**end_entity, "revocation": {"revoked-since": _when(epoch - timedelta(days=60)),
                                                 "reason": "key_compromise"}},
    }
    for label in [s.label for s in signers] + [a.label for a in agencies]:
        certs[label] = dict(end_entity)
    return {
        "external-url-prefix": base_url.rstrip("/"),
        "keysets": {ARCH: {"path-prefix": "keys",
                           "keys": {label: {"path": f"{label}.key.pem"} for label in labels}}},
        "pki-architectures": {ARCH: {
            "keyset": ARCH,
            "entity-defaults": {"country-name": "VN", "organization-name": "MotCua Demo (SPECIMEN)"},
            "entities": entities,
            "certs": certs,
            "services": {
                "ocsp": {"agency-ca": {"for-issuer": "agency-ca", "responder-cert": "agency-ca-ocsp",
                                       "signing-key": "agency-ca-ocsp"}},
                "crl-repo": {
                    "root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P90D"},
                    "agency-ca": {"for-issuer": "agency-ca", "signing-key": "agency-ca",
                                  "simulated-update-schedule": "P1D"},
                },
                "time-stamping": {TSA_LABEL: {"signing-key": TSA_LABEL, "signing-cert": TSA_LABEL}},
            },
        }},
    }


def load_config(directory: Path) -> CertomancerConfig:
    """The demo PKI's certomancer configuration, as ``pki_serve`` serves it."""
    return CertomancerConfig.from_file(str(directory / "certomancer.yml"), key_search_dir=str(directory),
                                       allow_external_config=False)


def read_manifest(directory: Path) -> dict[str, Any]:
    """What :func:`create_demo_pki` created in ``directory`` (empty when nothing is there)."""
    try:
        manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return manifest


def create_demo_pki(directory: Path, base_url: str, *, signers: list[DemoSigner],
                    agencies: list[DemoAgency]) -> None:
    """Create (or complete) the demo PKI in ``directory``, its services announced at ``base_url``.

    Idempotent: keys already there are kept, and the certificates of labels already there come out the same.
    """
    for label in [s.label for s in signers] + [a.label for a in agencies]:
        if not LABEL.match(label) or label in {"root", "agency-ca", "agency-ca-ocsp", TSA_LABEL, SYSTEM_LABEL,
                                               *TEST_LABELS}:
            raise ValueError(f"unusable demo PKI label: {label!r}")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "keys").mkdir(exist_ok=True, mode=0o700)
    (directory / "p12").mkdir(exist_ok=True, mode=0o700)
    manifest = read_manifest(directory)
    if manifest.get("base_url") == base_url.rstrip("/"):
        epoch = datetime.fromisoformat(manifest["epoch"])
        signers = _merge(signers, [DemoSigner(**s) for s in manifest.get("signers", [])])
        agencies = _merge(agencies, [DemoAgency(**a) for a in manifest.get("agencies", [])])
    else:
        epoch = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    config = _config(base_url, epoch, signers, agencies)
    for label in config["keysets"][ARCH]["keys"]:
        _key(directory, label)
    (directory / "certomancer.yml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    arch = load_config(directory).get_pki_arch(ArchLabel(ARCH))
    (directory / "root.pem").write_bytes(_pem(arch.get_cert(CertLabel("root")).dump()))
    (directory / "agency-ca.pem").write_bytes(_pem(arch.get_cert(CertLabel("agency-ca")).dump()))
    holders = [SYSTEM_LABEL, *TEST_LABELS, *(s.label for s in signers), *(a.label for a in agencies)]
    for label in holders:
        data = arch.package_pkcs12(CertLabel(label), password=DEMO_PIN.encode())
        path = directory / "p12" / f"{label}.p12"
        path.write_bytes(data)
        path.chmod(0o600)
    (directory / "manifest.json").write_text(json.dumps({
        "base_url": base_url.rstrip("/"),
        "epoch": epoch.isoformat(),
        "tsa_url": base_url.rstrip("/") + tsa_path(),
        "signers": [s.__dict__ for s in signers],
        "agencies": [a.__dict__ for a in agencies],
    }, ensure_ascii=False, indent=1))


def p12_path(directory: Path, label: str) -> Path:
    return directory / "p12" / f"{label}.p12"


def _merge(new: list[Any], old: list[Any]) -> list[Any]:
    seen = {item.label for item in new}
    return [*new, *(item for item in old if item.label not in seen)]


def _pem(der: bytes) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n" + encodebytes(der) + b"-----END CERTIFICATE-----\n"

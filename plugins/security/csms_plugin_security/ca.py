"""Charge point certificates (whitepaper A02/A03): check a station's CSR and sign it with the
operator's CA. CPU and file work: callers run these in a thread (``asyncio.to_thread``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class CsrRefused(Exception):
    """Why a CSR is not signed (said to the operator, not the station: it gets Rejected)."""


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @classmethod
    def load(cls, cert_path: Path, key_path: Path) -> Authority:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError("the CA key must be RSA or EC")
        if key.public_key().public_numbers() != certificate.public_key().public_numbers():
            raise ValueError("ca_key does not belong to ca_cert")
        return cls(certificate, key)

    def chain_pem(self, leaf: x509.Certificate) -> str:
        pem = leaf.public_bytes(serialization.Encoding.PEM)
        if self.certificate.issuer != self.certificate.subject:
            # A sub-CA: the station needs it to reach its root (CertificateSigned.req 5.1).
            pem += self.certificate.public_bytes(serialization.Encoding.PEM)
        return pem.decode()


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def check_csr(pem: str, station_id: str, cpo_name: str | None) -> x509.CertificateSigningRequest:
    """The parsed CSR, or CsrRefused naming the first problem."""
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except ValueError:
        raise CsrRefused("not a PEM-encoded PKCS#10 certificate signing request") from None
    if not csr.is_signature_valid:
        raise CsrRefused("the CSR's signature does not verify")
    common_name = _attribute(csr.subject, NameOID.COMMON_NAME)
    if common_name != station_id:
        # The kernel accepts a client certificate only if its CN is the station's identity.
        raise CsrRefused(f"CN is {common_name!r}, not the station's identity {station_id!r}")
    organization = _attribute(csr.subject, NameOID.ORGANIZATION_NAME)
    if cpo_name is not None and organization != cpo_name:
        raise CsrRefused(f"O is {organization!r}, not the CPO name {cpo_name!r} (A02.FR.13)")
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 2048:
            raise CsrRefused(f"RSA key of {key.key_size} bits; at least 2048 (A00.FR.502)")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < 224:
            raise CsrRefused(f"EC key of {key.curve.key_size} bits; at least 224 (A00.FR.503)")
    else:
        raise CsrRefused("the key must be RSA or EC")
    return csr


def sign(authority: Authority, csr: x509.CertificateSigningRequest, days: int) -> x509.Certificate:
    now = datetime.now(UTC)
    public_key = csr.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(authority.certificate.subject)
        .public_key(public_key)
        # A00.FR.508: a serial number; random, positive, under 20 bytes.
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
        .not_valid_before(now - timedelta(minutes=5))  # stations' clocks drift
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # A00.FR.512: restricted to what a TLS client certificate does.
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
                data_encipherment=False,
                key_agreement=isinstance(public_key, ec.EllipticCurvePublicKey),
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
            critical=False,
        )
    )
    if isinstance(authority.key, rsa.RSAPrivateKey):
        # A00.FR.505: RSA-PSS (or ECDSA) for the CA's signature; A00.FR.506: SHA-256.
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
        return builder.sign(authority.key, hashes.SHA256(), rsa_padding=pss)
    return builder.sign(authority.key, hashes.SHA256())

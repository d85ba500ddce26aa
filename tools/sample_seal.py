"""A sample seal certificate for `make run`: certificates are sealed on a fresh machine too, so the
whole path (the seal, its check in a PDF reader, the verification page) can be seen.

Its subject says VZOREK (a sample): the console says that certificates carry only a sample seal,
and no reader trusts it (it is self-signed). Made once into var/, like the ticket signing key:
the key file and its password file are created with mode 0600 and linked into place, so that two
starts at once end up with the same one. Set CERTIFICATE_SEAL_FILE (and its password) to use the
association's own seal instead; then nothing is made.
"""
import os
import secrets
from datetime import UTC, datetime, timedelta

from services.documents.seal import SAMPLE_MARK

SEAL_FILE = os.path.join("var", "sample-seal.p12")
PASSWORD_FILE = os.path.join("var", "sample-seal.password")
VALID_DAYS = 3 * 365


def _create_private(path, data: bytes):
    """``data`` into ``path``, readable by its owner only from the start; an existing file stays."""
    candidate = f"{path}.{os.getpid()}.{secrets.token_hex(4)}.new"
    descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as new:
        new.write(data)
    try:
        os.link(candidate, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(candidate)


def sample_pkcs12(organiser: str, password: str) -> bytes:
    """A self-signed seal certificate and its key, as PKCS#12, marked as a sample in its subject."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CZ"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organiser[:64]),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{SAMPLE_MARK} – pečeť jen pro zkoušení")])
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=VALID_DAYS))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                                key_encipherment=False, data_encipherment=False, key_agreement=False,
                                                key_cert_sign=False, crl_sign=False, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .sign(key, hashes.SHA256()))
    return pkcs12.serialize_key_and_certificates(
        b"vzorek", key, certificate, None, serialization.BestAvailableEncryption(password.encode()))


def ensure(root: str, organiser: str) -> tuple[str, str]:
    """The sample seal under ``root``/var, made when missing: ``(path, password)``."""
    seal_file, password_file = os.path.join(root, SEAL_FILE), os.path.join(root, PASSWORD_FILE)
    os.makedirs(os.path.dirname(seal_file), exist_ok=True)
    if not (os.path.exists(seal_file) and os.path.exists(password_file)):  # one without the other is no use
        for left in (seal_file, password_file):
            if os.path.exists(left):
                os.unlink(left)
        _create_private(password_file, (secrets.token_urlsafe(24) + "\n").encode())
        with open(password_file) as kept:
            _create_private(seal_file, sample_pkcs12(organiser, kept.read().strip()))
    with open(password_file) as kept:
        return seal_file, kept.read().strip()

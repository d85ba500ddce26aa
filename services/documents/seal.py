"""The electronic seal on certificates: PAdES (ETSI EN 319 142, level B-B) with pyHanko, made with
the association's seal certificate from a PKCS#12 file (CERTIFICATE_SEAL_FILE, its password
CERTIFICATE_SEAL_PASSWORD from the environment).

Guarantee: a seal that is configured but cannot be used (no such file, a wrong password, no key in
it) stops the documents service when it starts, so no certificate is issued unsealed by mistake;
with none configured, certificates are issued unsealed and ``status`` says so (the console shows
it). The seal certifies the document and permits no change (DocMDP, no changes allowed): a
certificate changed afterwards, by its bytes or by an incremental update, no longer validates.

Sealing runs in the render workers (``render.render_pdf``), each of which loads the key once.
"""
import io
import os
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

# A certificate made by `make run` for trying things out carries this in its subject.
SAMPLE_MARK = "VZOREK"
FIELD_NAME = "Pecet"
REASON = "Elektronická pečeť vydavatele osvědčení"


class SealUnusable(RuntimeError):
    """The configured seal certificate cannot be used."""


@dataclass(frozen=True)
class SealKey:
    """Where the seal is: picklable, so that it travels to the render workers."""

    path: str
    password: str


def configured(settings) -> "SealKey | None":
    """The seal of ``settings`` (documents' ``Settings``), or None when none is configured."""
    if not settings.seal_file:
        return None
    return SealKey(settings.seal_file, settings.seal_password)


def _load(key: SealKey):
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        with open(key.path, "rb") as kept:
            data = kept.read()
    except OSError as error:
        raise SealUnusable(f"the seal certificate {key.path!r} cannot be read: {error.strerror}") from None
    try:
        private_key, certificate, others = pkcs12.load_key_and_certificates(data, key.password.encode() or None)
    except ValueError:
        raise SealUnusable(f"the seal certificate {key.path!r} does not open with CERTIFICATE_SEAL_PASSWORD "
                           "(a wrong password, or not a PKCS#12 file)") from None
    if private_key is None or certificate is None:
        raise SealUnusable(f"the seal certificate {key.path!r} holds no private key with its certificate")
    return data, certificate, others


def describe(key: SealKey) -> dict:
    """What the console shows of the seal: its subject, issuer, validity, and whether it is a sample;
    ``SealUnusable`` when it cannot be used."""
    _, certificate, _ = _load(key)
    subject = certificate.subject.rfc4514_string()
    return {"configured": True, "subject": subject, "issuer": certificate.issuer.rfc4514_string(),
            "valid_from": certificate.not_valid_before_utc.isoformat(),
            "valid_until": certificate.not_valid_after_utc.isoformat(), "sample": SAMPLE_MARK in subject}


def status(key: "SealKey | None", described: "dict | None", now: datetime) -> dict:
    """The seal as the console asks for it (``documents.seal_status``)."""
    if key is None or described is None:
        return {"configured": False}
    return dict(described, expired=datetime.fromisoformat(described["valid_until"]) <= now.astimezone(UTC))


_signers: dict = {}


def _signer_class():
    """pyHanko's ``SimpleSigner``, keeping its private key loaded. pyHanko loads the key again for
    each signature (twice a PDF, with its size estimate), and loading checks an RSA key: 0.1 s each
    time, most of what a seal costs. Other kinds of key are left to pyHanko."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from pyhanko.sign import signers
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    class KeptKeySigner(signers.SimpleSigner):
        kept_key = None

        def sign_raw(self, data, digest_algorithm):
            if self.kept_key is None:
                self.kept_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
            if mechanism == "rsassa_pkcs1v15" and isinstance(self.kept_key, rsa.RSAPrivateKey):
                return self.kept_key.sign(data, padding.PKCS1v15(), hash_algorithm)
            if mechanism == "ecdsa" and isinstance(self.kept_key, ec.EllipticCurvePrivateKey):
                return self.kept_key.sign(data, ec.ECDSA(hash_algorithm))
            return super().sign_raw(data, digest_algorithm)

    return KeptKeySigner


def _signer(key: SealKey):
    """The key loaded for pyHanko, once per worker process (again when the file changes)."""
    identity = (key.path, os.stat(key.path).st_mtime_ns, key.password)
    if identity not in _signers:
        data, _, _ = _load(key)
        _signers.clear()
        loaded = _signer_class().load_pkcs12_data(data, other_certs=[], passphrase=key.password.encode() or None)
        # load_pkcs12_data makes a plain SimpleSigner whatever class it is called on
        _signers[identity] = _signer_class()(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                                             cert_registry=loaded.cert_registry)
    return _signers[identity]


def seal_pdf(data: bytes, key: SealKey) -> bytes:
    """``data`` (a PDF) with the seal: a certification signature over the whole file that permits
    no change, in an incremental update."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyHanko's import of DSA, which it never uses here
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES, certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES, reason=REASON)
    return signers.sign_pdf(writer, metadata, signer=_signer(key)).getvalue()
